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
import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import lmlab.analysis.Analysis;
import lmlab.analysis.Architecture;
import lmlab.analysis.Configurations;
import lmlab.io.Checkpoint;
import lmlab.models.ConfigRead;
import lmlab.models.HfConfigs;
import lmlab.models.ModelConfig;
import lmlab.models.ModelRegistry;
import lmlab.models.ModelSpec;
import lmlab.models.ModelType;
import lmlab.models.Models;
import lmlab.models.TransformerConfig;
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
      "Parameter counts by module: every module with its own parameters and the total of its subtree, "
          + "indented by depth, then the totals with and without the embeddings (token embeddings and "
          + "learned positions; a tied head counts once).",
      "With --model only config.json is read; the model is built with zero weights when it has at most "
          + "150M parameters, larger ones (and every --config FILE) are counted by the analyser's closed "
          + "forms without building anything.",
      "Keys of a Hugging Face config.json that change nothing are listed as ignored.",
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

  @Option(names = "--config", paramLabel = "FILE",
      description = "A config.json (lmlab or Hugging Face: gpt2, llama, mistral, qwen2, mamba2, gla); counted by the"
          + " closed forms, nothing is built.")
  Path config;

  @Option(names = "--format", paramLabel = "FORMAT", defaultValue = "table", converter = FormatConverter.class,
      description = "table (default), markdown or json.")
  Format format;

  @Option(names = "--max-depth", paramLabel = "N",
      description = "Only list modules down to this depth (the model is depth 0); totals are unchanged.")
  Integer maxDepth;

  private static final ObjectMapper JSON = com.fasterxml.jackson.databind.json.JsonMapper.builder()
      .enable(com.fasterxml.jackson.core.json.JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS) // Mamba-2's time_step_limit [0, Infinity]
      .enable(SerializationFeature.INDENT_OUTPUT).build();

  /** Models above this many parameters are counted by the closed forms instead of being built. */
  static final long BUILD_LIMIT = 150_000_000L;

  @Override
  public void run() {
    CommandLine cl = spec.commandLine();
    int given = (preset != null ? 1 : 0) + (model != null ? 1 : 0) + (config != null ? 1 : 0);
    if (given != 1) {
      throw new CommandLine.ParameterException(cl, given == 0
          ? "give a model: --preset NAME (" + String.join(", ", Models.presets()) + "), --model DIR or --config FILE"
          : "--preset, --model and --config are alternatives; give one");
    }
    if (preset == null && !sets.isEmpty()) {
      throw new CommandLine.ParameterException(cl, "--set overrides a --preset's config; it does not apply to "
          + (model != null ? "--model" : "--config"));
    }
    if (maxDepth != null && maxDepth < 0) {
      throw new CommandLine.ParameterException(cl, "--max-depth must be >= 0, got " + maxDepth);
    }
    PrintWriter out = cl.getOut();
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
      ModelSpec s;
      try {
        s = Models.preset(preset, overrides);
      } catch (IllegalArgumentException e) {
        String where = e.getMessage() != null && e.getMessage().contains("preset '") ? "--preset" : "--set";
        throw new CommandLine.ParameterException(cl, where + ": " + e.getMessage());
      }
      report(out, "preset " + preset + (overrides.isEmpty() ? "" : " " + overrides), s.config(), List.of(), true);
    } else {
      Path file = config != null ? config : model.resolve(Checkpoint.CONFIG);
      if (model != null && !Files.isDirectory(model)) {
        throw new IllegalArgumentException(model + ": checkpoint directory does not exist");
      }
      ConfigRead<? extends ModelConfig> read;
      try {
        JsonNode json = JSON.readTree(Files.readString(file));
        read = HfConfigs.read(json);
      } catch (NoSuchFileException e) {
        throw new IllegalArgumentException(file + ": no such file");
      } catch (JsonProcessingException e) {
        throw new IllegalArgumentException(file + ": not valid JSON: " + e.getOriginalMessage().replace('\n', ' '));
      } catch (IOException e) {
        throw new IllegalArgumentException(file + ": " + e.getMessage());
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException(file + ": " + e.getMessage(), e);
      }
      report(out, (config != null ? config : model).toString(), read.config(), read.ignoredKeys(), model != null);
    }
    out.flush();
  }

  /**
   * The table of the built model when it may be built (a registered type, at most
   * {@link #BUILD_LIMIT} parameters by the closed form, and build allowed), else the closed-form
   * totals of the analyser. Either way the count is the engine's or the analyser's, and the
   * cross-check test (ParameterCountAgreementTest) holds them equal.
   */
  private void report(PrintWriter out, String source, ModelConfig c, List<String> ignored, boolean mayBuild) {
    Architecture arch = null;
    long closed = -1;
    try {
      arch = Configurations.of(source, c);
      closed = Analysis.of(arch, Analysis.Setting.of(1)).value("parameters");
    } catch (IllegalArgumentException e) {
      // not analysed (rnn-lm): built below
    }
    ModelType<?> type = engineType(c);
    boolean build = type != null && (arch == null || (mayBuild && closed <= BUILD_LIMIT) || scoreParameters(c));
    if (build) {
      ModelSpec s = new ModelSpec(type, c);
      Models.ParameterCount count = Models.parameterCount(s);
      List<ParameterTable.Row> rows = new ArrayList<>();
      for (ParameterTable.Row r : count.rows()) if (maxDepth == null || r.depth() <= maxDepth) rows.add(r);
      switch (format) {
        case TABLE -> {
          table(out, source, type.label(), rows, count, ignored);
          stateLine(out, arch, c);
        }
        case MARKDOWN -> markdown(out, source, type.label(), rows, count, ignored);
        case JSON -> json(out, source, type.label(), rows, count, ignored, c, "built model");
      }
      return;
    }
    Analysis a = Analysis.of(arch, Analysis.Setting.of(1));
    long embeddings = a.value("embedding_parameters");
    long perLayer = a.value("layer_parameters");
    String label = type != null ? type.label() : c.modelType();
    Models.ParameterCount count = new Models.ParameterCount(List.of(), closed, embeddings);
    String why = type == null ? "lmlab has no " + c.modelType() + " model"
        : !mayBuild ? "nothing is built" : "models above " + group(BUILD_LIMIT) + " parameters are not built";
    switch (format) {
      case TABLE -> {
        out.printf(Locale.ROOT, "%s: %s%n", label, source);
        out.printf(Locale.ROOT, "counted by the analyser's closed forms (%s): %s%n", why, arch.parameters());
        totals(out, count);
        out.printf(Locale.ROOT, "%-22s %s  (%s)%n", "per layer:", group(perLayer), arch.layerLabel());
        if (!ignored.isEmpty()) out.printf(Locale.ROOT, "ignored keys: %s%n", String.join(", ", ignored));
        stateLine(out, arch, c);
      }
      case MARKDOWN -> {
        out.printf(Locale.ROOT, "**%s**: `%s` (closed forms: %s)%n%n", label, source, why);
        out.printf(Locale.ROOT, "| total | parameters |%n| --- | ---: |%n");
        out.printf(Locale.ROOT, "| all | %s |%n", group(count.total()));
        out.printf(Locale.ROOT, "| excluding embeddings | %s |%n", group(count.excludingEmbeddings()));
        out.printf(Locale.ROOT, "| embeddings | %s |%n", group(count.embeddings()));
        out.printf(Locale.ROOT, "| per layer | %s |%n", group(perLayer));
        if (!ignored.isEmpty()) out.printf(Locale.ROOT, "%nignored keys: %s%n", String.join(", ", ignored));
      }
      case JSON -> {
        ObjectNode o = json(source, label, count, ignored, c, "closed form");
        o.put("per_layer", perLayer);
        o.put("formula", arch.parameters());
        print(out, o);
      }
    }
  }

  /**
   * The linear-time mixer models' decoding state per sequence (float32, the analyser's closed form,
   * equal to what the engine holds: EngineCheck), which does not depend on the context length.
   */
  private static void stateLine(PrintWriter out, Architecture arch, ModelConfig c) {
    if (arch == null || !(c instanceof lmlab.models.GlaConfig || c instanceof lmlab.models.Mamba2Config)) return;
    Analysis a = Analysis.of(arch, Analysis.Setting.of(1).with(lmlab.analysis.ElementType.F32));
    out.printf(Locale.ROOT, "%-22s %s bytes per sequence, float32, at any context length (%s elements = %s)%n",
        "decoding state:", group(a.value("state@1")), group(a.value("state@1") / 4), arch.stateElements());
  }

  /** The engine's entry for a configuration, or null when lmlab cannot build it. */
  private static ModelType<?> engineType(ModelConfig c) {
    for (ModelType<?> t : ModelRegistry.TYPES) {
      if (t.configClass().isInstance(c) && (c.modelType() == null || t.modelTypes().contains(c.modelType()))) return t;
    }
    return null;
  }

  /** Score functions with weights of their own (multiplicative, concat, additive): the analyser does not count them. */
  private static boolean scoreParameters(ModelConfig c) {
    return c instanceof TransformerConfig t && t.score() != lmlab.nn.attention.ScoreFunction.SCALED_DOT
        && t.score() != lmlab.nn.attention.ScoreFunction.DOT;
  }

  private static String group(long n) {
    return String.format(Locale.ROOT, "%,d", n);
  }

  private static String label(ParameterTable.Row r) {
    if (r.name().isEmpty()) return "(model)";
    int dot = r.name().lastIndexOf('.');
    return "  ".repeat(r.depth()) + (dot < 0 ? r.name() : r.name().substring(dot + 1));
  }

  private static void table(PrintWriter out, String source, String family, List<ParameterTable.Row> rows,
      Models.ParameterCount c, List<String> ignored) {
    int wName = "module".length();
    int wType = "type".length();
    int wNum = Math.max("total".length(), group(c.total()).length());
    for (ParameterTable.Row r : rows) {
      wName = Math.max(wName, label(r).length());
      wType = Math.max(wType, r.type().length());
    }
    String fmt = "%-" + wName + "s  %-" + wType + "s  %" + wNum + "s  %" + wNum + "s%s%n";
    out.printf(Locale.ROOT, "%s: %s%n", family, source);
    out.printf(Locale.ROOT, fmt, "module", "type", "own", "total", "");
    for (ParameterTable.Row r : rows) {
      String note = (r.embedding() ? "  (embedding)" : "") + (r.tied() > 0 ? "  (tied: " + group(r.tied()) + ")" : "");
      out.printf(Locale.ROOT, fmt, label(r), r.type(), group(r.own()), group(r.total()), note);
    }
    totals(out, c);
    if (!ignored.isEmpty()) out.printf(Locale.ROOT, "ignored keys: %s%n", String.join(", ", ignored));
  }

  private static void totals(PrintWriter out, Models.ParameterCount c) {
    String[][] totals = {
      {"total parameters", group(c.total())},
      {"excluding embeddings", group(c.excludingEmbeddings())},
      {"embeddings", group(c.embeddings())}
    };
    int w = Math.max(group(c.total()).length(), 1);
    for (String[] t : totals) out.printf(Locale.ROOT, "%-22s %" + w + "s%n", t[0] + ":", t[1]);
  }

  private static void markdown(PrintWriter out, String source, String family, List<ParameterTable.Row> rows,
      Models.ParameterCount c, List<String> ignored) {
    out.printf(Locale.ROOT, "**%s**: `%s`%n%n", family, source);
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
    if (!ignored.isEmpty()) out.printf(Locale.ROOT, "%nignored keys: %s%n", String.join(", ", ignored));
  }

  private static ObjectNode json(String source, String family, Models.ParameterCount c, List<String> ignored,
      ModelConfig config, String countedBy) {
    ObjectNode o = JSON.createObjectNode();
    o.put("source", source);
    o.put("family", family);
    o.put("counted_by", countedBy);
    o.put("total", c.total());
    o.put("excluding_embeddings", c.excludingEmbeddings());
    o.put("embeddings", c.embeddings());
    ArrayNode ig = o.putArray("ignored_keys");
    ignored.forEach(ig::add);
    o.set("config", config.toJson());
    return o;
  }

  private static void print(PrintWriter out, ObjectNode o) {
    try {
      out.println(JSON.writeValueAsString(o));
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  private static void json(PrintWriter out, String source, String family, List<ParameterTable.Row> rows,
      Models.ParameterCount c, List<String> ignored, ModelConfig config, String countedBy) {
    ObjectNode o = json(source, family, c, ignored, config, countedBy);
    o.remove("config");
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
    o.set("config", config.toJson());
    print(out, o);
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
