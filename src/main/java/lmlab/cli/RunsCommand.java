package lmlab.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import lmlab.runs.MeanStd;
import lmlab.runs.RunGroups;
import lmlab.train.RunMetrics;
import lmlab.runs.RunRecord;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code lmlab runs}: working with finished (or interrupted) training runs. */
@Command(
    name = "runs",
    mixinStandardHelpOptions = true,
    description = "Inspect training runs (directories runs/<name>/ written by lmlab train).",
    subcommands = {RunsCommand.Summarize.class})
public final class RunsCommand implements Runnable {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    throw new CommandLine.ParameterException(spec.commandLine(), "give a subcommand: summarize");
  }

  enum Format { MARKDOWN, CSV, JSON }

  /**
   * {@code lmlab runs summarize DIR...}: the run metrics of arithmetic.md per group of runs, mean
   * ± population std across the runs (seeds) of a group.
   */
  @Command(
      name = "summarize",
      mixinStandardHelpOptions = true,
      sortOptions = false,
      description = {
        "The run-metric table of arithmetic.md for runs grouped by their config: L_train, L_val (minimum "
            + "loss), A_train, A_val (maximum accuracy), t_f of each (the first evaluated step reaching it), "
            + "dt(L) = t_f(L_val) - t_f(L_train) and dt(A) = t_f(A_val) - t_f(A_train), as mean ± std "
            + "(population, divide by n) across the runs of a group, with the number of runs.",
        "With both orders, one table per order follows. Runs that differ only in their seeds form a group "
            + "unless --group-by says otherwise.",
        ""
      })
  static final class Summarize implements Runnable {
    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Parameters(arity = "1..*", paramLabel = "DIR", description = "Run directories (each with config.json and metrics.jsonl).")
    List<Path> dirs = new ArrayList<>();

    @Option(names = "--group-by", paramLabel = "KEY", split = ",",
        description = "Group by these config keys (repeatable or comma-separated): a dotted key (task.p),"
            + " a subtree (model) or a leaf name (operator). Default: every key except the seeds.")
    List<String> groupBy = new ArrayList<>();

    @Option(names = "--t-max", paramLabel = "N",
        description = "Only use evaluations at steps <= N (the T_max of arithmetic.md).")
    Long tMax;

    @Option(names = "--format", paramLabel = "FORMAT", defaultValue = "markdown", converter = FormatConverter.class,
        description = "markdown (default), csv or json.")
    Format format;

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    @Override
    public void run() {
      CommandLine cl = spec.commandLine();
      if (tMax != null && tMax < 0) throw new CommandLine.ParameterException(cl, "--t-max must be >= 0, got " + tMax);
      for (String g : groupBy) {
        if (g.isBlank()) throw new CommandLine.ParameterException(cl, "--group-by needs a config key, got ''");
      }
      List<RunRecord> runs = new ArrayList<>();
      for (Path d : dirs) {
        try {
          runs.add(RunRecord.read(d));
        } catch (RunRecord.NotARunException e) {
          throw new CommandLine.ParameterException(cl, e.getMessage());
        } catch (IOException e) {
          throw new CommandLine.ExecutionException(cl, d + ": " + e.getMessage(), e);
        }
      }
      List<RunGroups.Group> groups;
      try {
        groups = RunGroups.group(runs, groupBy);
      } catch (IllegalArgumentException e) {
        throw new CommandLine.ParameterException(cl, e.getMessage());
      }
      List<GroupStats> stats = new ArrayList<>();
      for (RunGroups.Group g : groups) stats.add(GroupStats.of(g, tMax));
      PrintWriter out = cl.getOut();
      switch (format) {
        case MARKDOWN -> markdown(out, stats);
        case CSV -> csv(out, stats);
        case JSON -> json(out, stats);
      }
      out.flush();
    }

    /** The aggregated metrics of one group: scope ("" all, "2", "3") → key → mean ± std. */
    record GroupStats(RunGroups.Group group, List<RunMetrics> runs, Map<String, Map<String, MeanStd>> scopes,
        Map<String, Map<String, double[]>> values, MeanStd wallTime) {
      static GroupStats of(RunGroups.Group g, Long tMax) {
        List<RunMetrics> ms = new ArrayList<>();
        for (RunRecord r : g.runs()) ms.add(r.metrics(tMax));
        Map<String, Map<String, MeanStd>> scopes = new LinkedHashMap<>();
        Map<String, Map<String, double[]>> values = new LinkedHashMap<>();
        List<String> names = new ArrayList<>(List.of(""));
        for (int ord : new int[] {2, 3}) {
          for (RunMetrics m : ms) {
            if (m.orders().contains(ord)) {
              names.add(Integer.toString(ord));
              break;
            }
          }
        }
        for (String scope : names) {
          Map<String, MeanStd> agg = new LinkedHashMap<>();
          Map<String, double[]> vals = new LinkedHashMap<>();
          for (String key : RunMetrics.KEYS) {
            double[] v = new double[ms.size()];
            for (int i = 0; i < v.length; i++) v[i] = ms.get(i).get(scope.isEmpty() ? key : key + "_order" + scope);
            agg.put(key, MeanStd.of(v));
            vals.put(key, v);
          }
          scopes.put(scope, agg);
          values.put(scope, vals);
        }
        double[] wall = new double[g.runs().size()];
        for (int i = 0; i < wall.length; i++) wall[i] = g.runs().get(i).wallTimeSeconds();
        return new GroupStats(g, ms, scopes, values, MeanStd.of(wall));
      }
    }

    private static boolean anyWallTime(List<GroupStats> stats) {
      for (GroupStats s : stats) if (s.wallTime().present()) return true;
      return false;
    }

    private void markdown(PrintWriter out, List<GroupStats> stats) {
      out.printf(Locale.ROOT, "Run metrics, mean ± std over the runs of each group (population std)%s%n",
          tMax == null ? "" : ", evaluations at steps <= " + tMax);
      boolean wall = anyWallTime(stats);
      List<String> scopes = new ArrayList<>();
      for (GroupStats s : stats) for (String sc : s.scopes().keySet()) if (!scopes.contains(sc)) scopes.add(sc);
      for (String scope : scopes) {
        out.println();
        if (!scope.isEmpty()) {
          out.printf(Locale.ROOT, "Order %s (%s equations only)%n%n", scope, scope.equals("2") ? "binary" : "ternary");
        }
        StringBuilder head = new StringBuilder("| group | runs |");
        StringBuilder rule = new StringBuilder("| --- | ---: |");
        for (String label : RunMetrics.LABELS) {
          head.append(' ').append(label).append(" |");
          rule.append(" ---: |");
        }
        boolean withWall = wall && scope.isEmpty();
        if (withWall) {
          head.append(" wall time (s) |");
          rule.append(" ---: |");
        }
        out.println(head);
        out.println(rule);
        for (GroupStats s : stats) {
          Map<String, MeanStd> m = s.scopes().get(scope);
          if (m == null) continue;
          StringBuilder row = new StringBuilder("| ").append(escape(s.group().label())).append(" | ")
              .append(s.runs().size()).append(" |");
          for (String key : RunMetrics.KEYS) row.append(' ').append(m.get(key).format(RunMetrics.isStep(key))).append(" |");
          if (withWall) row.append(' ').append(s.wallTime().format(false)).append(" |");
          out.println(row);
        }
      }
    }

    private static String escape(String s) {
      return s.replace("|", "\\|");
    }

    private static void csv(PrintWriter out, List<GroupStats> stats) {
      StringBuilder head = new StringBuilder("group,order,runs");
      for (String key : RunMetrics.KEYS) head.append(',').append(key).append("_mean,").append(key).append("_std");
      head.append(",wall_time_s_mean,wall_time_s_std");
      out.println(head);
      for (GroupStats s : stats) {
        for (var e : s.scopes().entrySet()) {
          StringBuilder row = new StringBuilder(quote(s.group().label())).append(',')
              .append(e.getKey().isEmpty() ? "all" : e.getKey()).append(',').append(s.runs().size());
          for (String key : RunMetrics.KEYS) {
            MeanStd m = e.getValue().get(key);
            row.append(',').append(num(m.mean())).append(',').append(num(m.std()));
          }
          MeanStd w = e.getKey().isEmpty() ? s.wallTime() : MeanStd.of();
          row.append(',').append(num(w.mean())).append(',').append(num(w.std()));
          out.println(row);
        }
      }
    }

    private static String quote(String s) {
      if (s.contains(",") || s.contains("\"") || s.contains("\n")) return "\"" + s.replace("\"", "\"\"") + "\"";
      return s;
    }

    /** A number for CSV: whole numbers without a fraction, others in Java's shortest form, absent as empty. */
    private static String num(double v) {
      if (!Double.isFinite(v)) return "";
      if (v == Math.rint(v) && Math.abs(v) < 1e15) return Long.toString((long) v);
      return Double.toString(v);
    }

    private void json(PrintWriter out, List<GroupStats> stats) {
      ObjectNode root = JSON.createObjectNode();
      if (tMax == null) root.putNull("t_max");
      else root.put("t_max", tMax);
      ArrayNode groups = root.putArray("groups");
      for (GroupStats s : stats) {
        ObjectNode g = groups.addObject();
        g.put("label", s.group().label());
        ObjectNode gv = g.putObject("group");
        for (var e : s.group().values().entrySet()) gv.put(e.getKey(), e.getValue());
        g.put("n", s.runs().size());
        ArrayNode dirs = g.putArray("runs");
        for (RunRecord r : s.group().runs()) dirs.add(r.dir().toString());
        for (var e : s.scopes().entrySet()) {
          ObjectNode target = e.getKey().isEmpty() ? g.putObject("metrics")
              : (g.has("orders") ? (ObjectNode) g.get("orders") : g.putObject("orders")).putObject(e.getKey());
          for (String key : RunMetrics.KEYS) {
            ObjectNode m = target.putObject(key);
            MeanStd ms = e.getValue().get(key);
            putNum(m, "mean", ms.mean());
            putNum(m, "std", ms.std());
            ArrayNode vals = m.putArray("values");
            for (double v : s.values().get(e.getKey()).get(key)) {
              if (!Double.isFinite(v)) vals.addNull();
              else if (RunMetrics.isStep(key)) vals.add((long) v);
              else vals.add(v);
            }
          }
        }
        if (s.wallTime().present()) {
          ObjectNode w = g.putObject("wall_time_s");
          putNum(w, "mean", s.wallTime().mean());
          putNum(w, "std", s.wallTime().std());
        }
      }
      try {
        out.println(JSON.writeValueAsString(root));
      } catch (JsonProcessingException e) {
        throw new IllegalStateException(e);
      }
    }

    private static void putNum(ObjectNode o, String key, double v) {
      if (Double.isFinite(v)) o.put(key, v);
      else o.putNull(key);
    }
  }

  /** markdown, csv, json in any case. */
  static final class FormatConverter implements CommandLine.ITypeConverter<Format> {
    @Override
    public Format convert(String value) {
      for (Format f : Format.values()) if (f.name().equalsIgnoreCase(value.trim())) return f;
      throw new CommandLine.TypeConversionException("'" + value + "' is not a format: use markdown, csv or json");
    }
  }
}
