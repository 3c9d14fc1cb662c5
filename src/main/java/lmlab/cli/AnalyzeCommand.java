package lmlab.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import lmlab.analysis.Analysis;
import lmlab.analysis.Architecture;
import lmlab.analysis.Configurations;
import lmlab.analysis.Counting;
import lmlab.analysis.ElementType;
import lmlab.analysis.EngineCheck;
import lmlab.analysis.Lora;
import lmlab.analysis.Overrides;
import lmlab.analysis.Report;
import lmlab.analysis.TransformerArch;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code lmlab analyze}: parameters, KV cache / recurrent state bytes and forward FLOPs of a
 * configuration, each as a number and as its closed form in the course notation
 * (lmlab.analysis, analysis.md); {@code --compare} puts several side by side.
 */
@Command(
    name = "analyze",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    description = {
      "Model size, KV cache (or recurrent state) and forward FLOPs of a configuration, each as a number "
          + "and as a closed-form expression in the course notation.",
      "The formulas are checked against the engine (parameter count, cache bytes, instrumented FLOPs).",
      "",
      "A configuration is a name (gpt, chargpt, gpt2, llama, qwen2, qwen2-variant, gpt-gqa, mamba2, gla, "
          + "lstm-lm, qwen2.5-0.5b) or a config.json (Hugging Face model types gpt2, llama, mistral, qwen2, "
          + "mamba2, gla; or an lmlab config). Size flags override every configuration; a flag that does not "
          + "apply to a family is ignored by it.",
      ""
    })
public final class AnalyzeCommand implements Runnable {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Option(names = "--preset", paramLabel = "NAME", description = "The configuration to analyse (default: gpt).")
  String preset;

  @Option(names = "--config", paramLabel = "FILE", description = "A config.json (or a directory holding one).")
  Path config;

  @Option(names = "--compare", paramLabel = "A,B,...", split = ",",
      description = "Several configurations side by side: names or config.json paths, e.g. gpt,gpt-gqa,mamba2,gla.")
  List<String> compare;

  @Option(names = "--L", paramLabel = "L",
      description = "Sequence length(s): 1024, 1k, 1024,4096 or a doubling range 1k..32k (default 1024).")
  String lengths = "1024";

  @Option(names = "--batch", paramLabel = "B", description = "Batch size B (default 1).")
  long batch = 1;

  @Option(names = "--dtype", paramLabel = "TYPE",
      description = "Element type of the KV cache / state: bf16 (default), f16, f32, f64, fp8, int8.")
  String dtype = "bf16";

  @Option(names = "--attention", paramLabel = "COUNTING",
      description = "Attention FLOPs: causal (default, lower triangle with the diagonal) or full (L^2).")
  String attention = "causal";

  @Option(names = "--format", paramLabel = "FORMAT", description = "table (default), markdown, latex, csv or json.")
  String format = "table";

  @Option(names = "--V", paramLabel = "N", description = "Vocabulary size V.") Integer vocab;
  @Option(names = "--d", paramLabel = "N", description = "Model width d (lstm-lm: d_h).") Integer hidden;
  @Option(names = "--n-layer", paramLabel = "N", description = "Number of layers N_layer.") Integer layers;
  @Option(names = "--n-q", paramLabel = "N", description = "Query heads n_q.") Integer qHeads;
  @Option(names = "--n-kv", paramLabel = "N", description = "Key/value heads n_kv (gpt-gqa default n_q/2).") Integer kvHeads;
  @Option(names = "--d-ff", paramLabel = "N", description = "MLP width d_ff.") Integer ffDim;
  @Option(names = "--d-h", paramLabel = "N", description = "Attention head width d_h (default d/n_q).") Integer headDim;
  @Option(names = "--S-max", paramLabel = "N", description = "Learned position table rows S_max.") Integer maxPositions;
  @Option(names = "--E", paramLabel = "N", description = "Mamba-2 expansion E (default 2).") Integer expand;
  @Option(names = "--P", paramLabel = "N", description = "Mamba-2 head width P (default 64).") Integer headWidth;
  @Option(names = "--N", paramLabel = "N", description = "Mamba-2 state size N (default 128).") Integer stateSize;
  @Option(names = "--G", paramLabel = "N", description = "Mamba-2 groups G (default 1).") Integer groups;
  @Option(names = "--n-h", paramLabel = "N", description = "GLA heads n_h (default 4).") Integer glaHeads;
  @Option(names = "--d-k", paramLabel = "N", description = "GLA key width d_k (default d/2).") Integer keyDim;
  @Option(names = "--d-v", paramLabel = "N", description = "GLA value width d_v (default d).") Integer valueDim;
  @Option(names = "--d-e", paramLabel = "N", description = "lstm-lm embedding width d_e (default d_h).") Integer embedding;

  @Option(names = "--lora-rank", paramLabel = "R", description = "Add the LoRA overhead for rank r.") Integer loraRank;

  @Option(names = "--lora-targets", paramLabel = "M,...", split = ",",
      description = "Adapted matrices among q, k, v, o, gate, up, down (default q,v).")
  List<String> loraTargets = new ArrayList<>(List.of("q", "v"));

  @Option(names = "--base-bits", paramLabel = "M",
      description = "Bits per frozen base weight: 16 (LoRA, default), 4 (QLoRA), 8, ...")
  int baseBits = 16;

  @Option(names = "--quantize", paramLabel = "METHOD",
      description = "Quantiser of an m-bit base (m <= 8) for its exact stored bytes: nf4-dq (default for m = 4), nf4, "
          + "blockwise-mM (default for other m), absmax-mM (per tensor).")
  String quantize;

  @Option(names = "--block-size", paramLabel = "B", description = "Block size of the block-wise quantisers (default 64).")
  int blockSize = 64;

  @Option(names = "--check",
      description = "Also check the formulas against the engine (Transformer, lstm-lm) at the first L and batch B: "
          + "build the model, count its parameters, run one instrumented forward pass (every product reports "
          + "2abc) and fill its KV cache / state (float32). Exit 1 if any figure differs.")
  boolean check;

  @Override
  public void run() {
    CommandLine cl = spec.commandLine();
    Report.Format fmt = parse(cl, "--format", () -> {
      for (Report.Format f : Report.Format.values()) if (f.name().equalsIgnoreCase(format.trim())) return f;
      throw new IllegalArgumentException("'" + format + "' is not a format: use table, markdown, latex, csv or json");
    });
    int given = (preset != null ? 1 : 0) + (config != null ? 1 : 0) + (compare != null ? 1 : 0);
    if (given > 1) throw new CommandLine.ParameterException(cl, "--preset, --config and --compare are alternatives; give one");
    List<Long> ls = parse(cl, "--L", () -> parseLengths(lengths));
    ElementType type = parse(cl, "--dtype", () -> ElementType.parse(dtype));
    Counting counting = parse(cl, "--attention", () -> Counting.parse(attention));
    Lora lora = loraRank == null ? null : parse(cl, "LoRA", () -> quantize == null && blockSize == 64
        ? new Lora(loraRank, loraTargets, baseBits)
        : new Lora(loraRank, loraTargets, baseBits, quantize != null ? quantize : new Lora(1, loraTargets, baseBits).quantizer(),
            blockSize));
    Analysis.Setting setting = parse(cl, "--batch", () -> new Analysis.Setting(ls, batch, type, counting, lora));
    Overrides o = new Overrides(vocab, hidden, layers, qHeads, kvHeads, ffDim, headDim, maxPositions, expand, headWidth,
        stateSize, groups, glaHeads, keyDim, valueDim, embedding);
    List<String> items = compare != null ? compare : List.of(config != null ? config.toString() : preset != null ? preset : "gpt");
    List<Analysis> analyses = new ArrayList<>();
    for (String item : items) {
      Architecture a = resolve(cl, item.trim(), config != null, o);
      analyses.add(parse(cl, a.name(), () -> Analysis.of(a, setting)));
    }
    if (loraRank != null && analyses.stream().noneMatch(a -> a.architecture() instanceof TransformerArch)) {
      throw new CommandLine.ParameterException(cl, "--lora-rank: LoRA overhead is computed for Transformers only");
    }
    if (check && (fmt == Report.Format.CSV || fmt == Report.Format.LATEX)) {
      throw new CommandLine.ParameterException(cl, "--check prints with --format table, markdown or json");
    }
    List<EngineCheck> checks = new ArrayList<>();
    if (check) {
      for (Analysis an : analyses) {
        if (EngineCheck.supported(an.architecture())) {
          checks.add(parse(cl, "--check", () -> EngineCheck.run(an.architecture(), setting.lengths().getFirst(), batch)));
        }
      }
    }
    PrintWriter out = cl.getOut();
    String report = new Report(analyses).render(fmt);
    if (!check) {
      out.print(report);
    } else if (fmt == Report.Format.JSON) {
      out.print(withChecks(report, checks));
    } else {
      out.print(report);
      out.print(checkText(analyses, checks, fmt == Report.Format.MARKDOWN));
    }
    out.flush();
    List<String> bad = checks.stream().filter(c -> !c.matches()).map(EngineCheck::name).toList();
    if (!bad.isEmpty()) {
      throw new IllegalStateException("--check: the engine disagrees with the formulas for " + String.join(", ", bad));
    }
  }

  private static String verdict(long engine, long formula) {
    return String.format(Locale.ROOT, "%,d", engine) + (engine == formula ? " = formula"
        : String.format(Locale.ROOT, " != formula %,d", formula));
  }

  private static String checkText(List<Analysis> analyses, List<EngineCheck> checks, boolean markdown) {
    StringBuilder sb = new StringBuilder(markdown ? "\n" : "");
    Analysis.Setting s = analyses.getFirst().setting();
    sb.append(String.format(Locale.ROOT, "engine check (built model, instrumented forward pass, float32 cache; B = %d, "
        + "L = %,d):%n", s.batch(), s.lengths().getFirst()));
    for (Analysis a : analyses) {
      String name = a.architecture().name();
      EngineCheck c = checks.stream().filter(x -> x.name().equals(name)).findFirst().orElse(null);
      sb.append(markdown ? "- " : "  ").append(name).append(": ");
      if (c == null) {
        sb.append("no engine model (").append(a.architecture().summary().split(":")[0])
            .append("; its formulas are checked against hand-worked sums in the tests)\n");
        continue;
      }
      String kv = a.architecture().recurrent() ? "state bytes " : "KV cache bytes ";
      sb.append("parameters ").append(verdict(c.parameters(), c.formula().value("parameters")))
          .append("; ").append(kv).append(verdict(c.stateBytes(), c.formula().value("state@" + c.length())))
          .append(mixer(a) ? "; recurrent-form FLOPs (decoding step) " : "; forward FLOPs ")
          .append(verdict(c.flops(), c.formula().value("flops@" + c.length())))
          .append('\n');
    }
    return sb.toString();
  }

  /** The linear-time mixer families, whose FLOPs are counted over the recurrent form (EngineCheck). */
  private static boolean mixer(Analysis a) {
    return a.architecture() instanceof lmlab.analysis.Mamba2Arch || a.architecture() instanceof lmlab.analysis.GlaArch;
  }

  private static String withChecks(String report, List<EngineCheck> checks) {
    try {
      com.fasterxml.jackson.databind.ObjectMapper m = new com.fasterxml.jackson.databind.ObjectMapper()
          .enable(com.fasterxml.jackson.databind.SerializationFeature.INDENT_OUTPUT);
      com.fasterxml.jackson.databind.node.ObjectNode root =
          (com.fasterxml.jackson.databind.node.ObjectNode) m.readTree(report);
      com.fasterxml.jackson.databind.node.ArrayNode arr = root.putArray("engine_check");
      for (EngineCheck c : checks) {
        com.fasterxml.jackson.databind.node.ObjectNode o = arr.addObject();
        o.put("name", c.name());
        o.put("batch", c.batch());
        o.put("L", c.length());
        o.put("parameters", c.parameters());
        o.put("formula_parameters", c.formula().value("parameters"));
        o.put("state_bytes_f32", c.stateBytes());
        o.put("formula_state_bytes_f32", c.formula().value("state@" + c.length()));
        o.put("flops", c.flops());
        o.put("formula_flops", c.formula().value("flops@" + c.length()));
        o.put("match", c.matches());
      }
      return m.writeValueAsString(root) + "\n";
    } catch (java.io.IOException e) {
      throw new IllegalStateException(e);
    }
  }

  /** A name, or a config.json path (with --config, or an item that names an existing file or ends in .json). */
  private static Architecture resolve(CommandLine cl, String item, boolean isConfig, Overrides o) {
    Path p = Path.of(item);
    if (isConfig || item.endsWith(".json") || Files.exists(p)) {
      try {
        return Configurations.override(Configurations.read(p), o);
      } catch (IOException e) {
        throw new CommandLine.ExecutionException(cl, e.getMessage(), e);
      }
    }
    try {
      return Configurations.named(item, o);
    } catch (IllegalArgumentException e) {
      throw new CommandLine.ParameterException(cl, item + ": " + e.getMessage());
    }
  }

  private interface Parse<T> {
    T get();
  }

  private static <T> T parse(CommandLine cl, String what, Parse<T> p) {
    try {
      return p.get();
    } catch (IllegalArgumentException e) {
      String m = e.getMessage();
      throw new CommandLine.ParameterException(cl, m.startsWith("--") ? m : what + ": " + m);
    }
  }

  /** 1024 | 1k | 1024,4096 | 1k..32k (doubling). */
  static List<Long> parseLengths(String text) {
    List<Long> out = new ArrayList<>();
    for (String part : text.split(",")) {
      String s = part.trim();
      int dots = s.indexOf("..");
      if (dots >= 0) {
        long from = length(s.substring(0, dots));
        long to = length(s.substring(dots + 2));
        if (to < from) throw new IllegalArgumentException("--L " + s + ": the range must not decrease");
        for (long l = from; l <= to; l *= 2) out.add(l);
      } else {
        out.add(length(s));
      }
    }
    return out;
  }

  private static long length(String s) {
    String t = s.trim().toLowerCase(Locale.ROOT);
    long mult = 1;
    if (t.endsWith("k")) {
      mult = 1024;
      t = t.substring(0, t.length() - 1);
    } else if (t.endsWith("m")) {
      mult = 1024 * 1024;
      t = t.substring(0, t.length() - 1);
    }
    try {
      long v = Long.parseLong(t) * mult;
      if (v < 1) throw new NumberFormatException();
      return v;
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("--L: '" + s + "' is not a sequence length (e.g. 1024, 1k, 1024,4096, 1k..32k)");
    }
  }
}
