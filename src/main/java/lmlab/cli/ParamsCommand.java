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
import lmlab.models.Models;
import lmlab.nn.ParameterTable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code lmlab params}: the parameter table of a preset (with overrides) or of a checkpoint's
 * config.json, by module, with totals with and without embeddings.
 */
@Command(
    name = "params",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    description = {
      "Parameter counts by module: every module with its own parameters and the",
      "total of its subtree, indented by depth, then the totals with and without",
      "the embeddings (token embeddings and learned positions; a tied head counts",
      "once). With --model only config.json is read; the model is built with zero",
      "weights, so counting GPT-2 sizes is quick.",
      ""
    })
public final class ParamsCommand implements Runnable {
  enum Format { TABLE, MARKDOWN, JSON }

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Option(names = "--preset", paramLabel = "NAME",
      description = "A preset: gpt, chargpt, gpt2, llama, qwen2, qwen2-variant, lstm-lm, rnn-lm.")
  String preset;

  @Option(names = "--set", paramLabel = "KEY=VALUE",
      description = "Override a config key of the preset (repeatable), e.g. --set num_hidden_layers=3.")
  List<String> sets = new ArrayList<>();

  @Option(names = "--model", paramLabel = "DIR", description = "A checkpoint directory (its config.json).")
  Path model;

  @Option(names = "--format", paramLabel = "FORMAT", defaultValue = "table", converter = FormatConverter.class,
      description = "table (default), markdown or json.")
  Format format;

  @Option(names = "--max-depth", paramLabel = "N",
      description = "Only list modules down to this depth (the model is depth 0); totals are unchanged.")
  Integer maxDepth;

  private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  @Override
  public void run() {
    CommandLine cl = spec.commandLine();
    if ((preset == null) == (model == null)) {
      throw new CommandLine.ParameterException(cl, preset == null
          ? "give a model: --preset NAME (" + String.join(", ", Models.presets()) + ") or --model DIR"
          : "--preset and --model are alternatives; give one");
    }
    if (model != null && !sets.isEmpty()) {
      throw new CommandLine.ParameterException(cl, "--set overrides a --preset's config; it does not apply to --model");
    }
    if (maxDepth != null && maxDepth < 0) {
      throw new CommandLine.ParameterException(cl, "--max-depth must be >= 0, got " + maxDepth);
    }
    Models.Spec s;
    String source;
    if (preset != null) {
      Map<String, String> overrides = new LinkedHashMap<>();
      for (String kv : sets) {
        int eq = kv.indexOf('=');
        if (eq <= 0) {
          throw new CommandLine.ParameterException(cl, "--set '" + kv + "': expected KEY=VALUE, e.g. --set "
              + "hidden_size=64");
        }
        overrides.put(kv.substring(0, eq).trim(), kv.substring(eq + 1));
      }
      try {
        s = Models.preset(preset, overrides);
      } catch (IllegalArgumentException e) {
        String where = e.getMessage() != null && e.getMessage().contains("preset '") ? "--preset" : "--set";
        throw new CommandLine.ParameterException(cl, where + ": " + e.getMessage());
      }
      source = "preset " + preset + (overrides.isEmpty() ? "" : " " + overrides);
    } else {
      try {
        s = Models.readConfig(model);
      } catch (IOException e) {
        throw new CommandLine.ExecutionException(cl, e.getMessage(), e);
      }
      source = model.toString();
    }
    Models.ParameterCount count = Models.parameterCount(s);
    List<ParameterTable.Row> rows = new ArrayList<>();
    for (ParameterTable.Row r : count.rows()) if (maxDepth == null || r.depth() <= maxDepth) rows.add(r);
    PrintWriter out = cl.getOut();
    switch (format) {
      case TABLE -> table(out, source, s, rows, count);
      case MARKDOWN -> markdown(out, source, s, rows, count);
      case JSON -> json(out, source, s, rows, count);
    }
    out.flush();
  }

  private static String group(long n) {
    return String.format(Locale.ROOT, "%,d", n);
  }

  private static String label(ParameterTable.Row r) {
    if (r.name().isEmpty()) return "(model)";
    int dot = r.name().lastIndexOf('.');
    return "  ".repeat(r.depth()) + (dot < 0 ? r.name() : r.name().substring(dot + 1));
  }

  private static void table(PrintWriter out, String source, Models.Spec s, List<ParameterTable.Row> rows,
      Models.ParameterCount c) {
    int wName = "module".length();
    int wType = "type".length();
    int wNum = Math.max("total".length(), group(c.total()).length());
    for (ParameterTable.Row r : rows) {
      wName = Math.max(wName, label(r).length());
      wType = Math.max(wType, r.type().length());
    }
    String fmt = "%-" + wName + "s  %-" + wType + "s  %" + wNum + "s  %" + wNum + "s%s%n";
    out.printf(Locale.ROOT, "%s: %s%n", s.family().label(), source);
    out.printf(Locale.ROOT, fmt, "module", "type", "own", "total", "");
    for (ParameterTable.Row r : rows) {
      String note = (r.embedding() ? "  (embedding)" : "") + (r.tied() > 0 ? "  (tied: " + group(r.tied()) + ")" : "");
      out.printf(Locale.ROOT, fmt, label(r), r.type(), group(r.own()), group(r.total()), note);
    }
    String[][] totals = {
      {"total parameters", group(c.total())},
      {"excluding embeddings", group(c.excludingEmbeddings())},
      {"embeddings", group(c.embeddings())}
    };
    int w = Math.max(group(c.total()).length(), 1);
    for (String[] t : totals) out.printf(Locale.ROOT, "%-22s %" + w + "s%n", t[0] + ":", t[1]);
  }

  private static void markdown(PrintWriter out, String source, Models.Spec s, List<ParameterTable.Row> rows,
      Models.ParameterCount c) {
    out.printf(Locale.ROOT, "**%s**: `%s`%n%n", s.family().label(), source);
    out.println("| module | type | own | total |");
    out.println("| --- | --- | ---: | ---: |");
    for (ParameterTable.Row r : rows) {
      String name = r.name().isEmpty() ? "(model)" : "`" + r.name() + "`";
      String note = (r.embedding() ? " (embedding)" : "") + (r.tied() > 0 ? " (tied: " + group(r.tied()) + ")" : "");
      out.printf(Locale.ROOT, "| %s%s%s | %s | %s | %s |%n", "&nbsp;&nbsp;".repeat(r.depth()), name,
          note, r.type(), group(r.own()), group(r.total()));
    }
    out.println();
    out.printf(Locale.ROOT, "| total | parameters |%n| --- | ---: |%n");
    out.printf(Locale.ROOT, "| all | %s |%n", group(c.total()));
    out.printf(Locale.ROOT, "| excluding embeddings | %s |%n", group(c.excludingEmbeddings()));
    out.printf(Locale.ROOT, "| embeddings | %s |%n", group(c.embeddings()));
  }

  private static void json(PrintWriter out, String source, Models.Spec s, List<ParameterTable.Row> rows,
      Models.ParameterCount c) {
    ObjectNode o = JSON.createObjectNode();
    o.put("source", source);
    o.put("family", s.family().label());
    o.put("total", c.total());
    o.put("excluding_embeddings", c.excludingEmbeddings());
    o.put("embeddings", c.embeddings());
    ArrayNode mods = o.putArray("modules");
    for (ParameterTable.Row r : rows) {
      ObjectNode m = mods.addObject();
      m.put("name", r.name());
      m.put("type", r.type());
      m.put("depth", r.depth());
      m.put("own", r.own());
      m.put("total", r.total());
      if (r.tied() > 0) m.put("tied", r.tied());
      m.put("embedding", r.embedding());
    }
    o.set("config", s.toJson());
    try {
      out.println(JSON.writeValueAsString(o));
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  /** table, markdown, json in any case. */
  static final class FormatConverter implements CommandLine.ITypeConverter<Format> {
    @Override
    public Format convert(String value) {
      for (Format f : Format.values()) if (f.name().equalsIgnoreCase(value.trim())) return f;
      throw new CommandLine.TypeConversionException("'" + value + "' is not a format: use table, markdown or json");
    }
  }
}
