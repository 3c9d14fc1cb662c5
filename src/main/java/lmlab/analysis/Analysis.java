package lmlab.analysis;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The figures of one configuration for a setting (sequence lengths, batch, element type,
 * attention counting, optional LoRA): parameters (total, embeddings, per layer), KV cache or
 * recurrent state bytes and forward FLOPs for every L, and the LoRA overhead. Each value is the
 * exact evaluation of the closed form printed beside it.
 */
public record Analysis(Architecture architecture, Setting setting, Map<String, Long> symbols, List<Figure> figures) {

  /** What does not depend on the configuration. */
  public record Setting(List<Long> lengths, long batch, ElementType dtype, Counting counting, Lora lora) {
    public Setting {
      if (lengths == null || lengths.isEmpty()) throw new IllegalArgumentException("give at least one sequence length L");
      for (long l : lengths) if (l < 1) throw new IllegalArgumentException("L must be >= 1, got " + l);
      if (batch < 1) throw new IllegalArgumentException("batch B must be >= 1, got " + batch);
      lengths = List.copyOf(lengths);
    }

    /** L, batch 1, bfloat16, causal counting, no LoRA. */
    public static Setting of(long... lengths) {
      List<Long> ls = new ArrayList<>();
      for (long l : lengths) ls.add(l);
      return new Setting(ls, 1, ElementType.BF16, Counting.CAUSAL, null);
    }

    public Setting with(ElementType t) {
      return new Setting(lengths, batch, t, counting, lora);
    }

    public Setting with(Counting c) {
      return new Setting(lengths, batch, dtype, c, lora);
    }

    public Setting withBatch(long b) {
      return new Setting(lengths, b, dtype, counting, lora);
    }

    public Setting with(Lora l) {
      return new Setting(lengths, batch, dtype, counting, l);
    }
  }

  public static Analysis of(Architecture a, Setting s) {
    Map<String, Long> sym = new LinkedHashMap<>(a.symbols());
    sym.put("b", (long) s.dtype().bytes());
    if (s.batch() != 1) sym.put("B", s.batch());
    List<Figure> out = new ArrayList<>();
    Map<String, Long> noL = sym;
    out.add(figure("parameters", "parameters", "parameters", a.parameters(), noL));
    out.add(figure("embedding_parameters", "embedding parameters", "parameters", a.embeddingParameters(), noL));
    out.add(figure("layer_parameters", "parameters " + a.layerLabel(), "parameters", a.layerParameters(), noL));
    String batch = s.batch() != 1 ? "B·" : "";
    String stateBytes = batch + Architecture.times(a.stateElements(), "b");
    String what = a.recurrent() ? "recurrent state bytes" : "KV cache bytes";
    for (long l : s.lengths()) {
      Map<String, Long> withL = new LinkedHashMap<>(sym);
      withL.put("L", l);
      out.add(figure("state@" + l, what + " (L = " + group(l) + ")", "bytes", stateBytes, withL));
    }
    for (long l : s.lengths()) {
      Map<String, Long> withL = new LinkedHashMap<>(sym);
      withL.put("L", l);
      String flops = batch.isEmpty() ? a.forwardFlops(s.counting()) : Architecture.timesLeft("B", a.forwardFlops(s.counting()));
      out.add(figure("flops@" + l, "forward FLOPs (L = " + group(l) + ")", "FLOPs", flops, withL));
    }
    if (s.lora() != null) lora(a, s, sym, out);
    return new Analysis(a, s, sym, List.copyOf(out));
  }

  private static void lora(Architecture a, Setting s, Map<String, Long> sym, List<Figure> out) {
    Lora lora = s.lora();
    if (a.loraMatrices().isEmpty()) return; // LoRA rows only for Transformers (the CLI says so when none is)
    Terms widths = new Terms();
    for (String t : lora.targets()) {
      Architecture.Matrix m = a.loraMatrices().stream().filter(x -> x.name().equals(t)).findFirst()
          .orElseThrow(() -> new IllegalArgumentException("--lora-targets: " + a.name() + " has no '" + t
              + "' matrix (it has " + String.join(", ", a.loraMatrices().stream().map(Architecture.Matrix::name).toList())
              + ")"));
      widths.add(1, m.in()).add(1, m.out());
    }
    sym.put("r", (long) lora.rank());
    sym.put("m", (long) lora.baseBits());
    BigInteger total = out.getFirst().value();
    sym.put("P", total.longValueExact());
    String adapters = "N_layer·r·" + widths.grouped();
    String kind = lora.baseBits() < 16 ? "QLoRA" : "LoRA";
    out.add(figure("lora_parameters", kind + " trainable parameters (r = " + lora.rank() + ", "
        + String.join("+", lora.targets()) + ")", "parameters", adapters, sym));
    out.add(figure("lora_base_bytes", kind + " frozen base weights at m = " + lora.baseBits() + " bits (every parameter, no constants)", "bytes",
        "P·m/8", sym));
    if (!lora.quantizer().equals("none")) {
      Terms stored = new Terms();
      Terms weights = new Terms();
      for (Architecture.Matrix m : a.loraMatrices()) {
        String n = "(" + m.in() + ")·(" + m.out() + ")";
        stored.add(1, "(" + lora.storage(n) + ")");
        weights.add(1, n);
      }
      String q = "N_layer·(" + stored.render() + ")";
      String label = lora.quantizer() + (lora.quantizer().startsWith("absmax-m") ? "" : ", b = " + lora.blockSize());
      out.add(figure("qlora_quantized_bytes", kind + " quantised Linear weights inside the layers (" + label
          + "; codes + constants)", "bytes", q, sym));
      out.add(figure("qlora_weight_bytes", kind + " base as stored: quantised Linear weights + the other parameters ("
          + s.dtype().label() + ")", "bytes", q + " + (P - N_layer·(" + weights.render() + "))·b", sym));
    }
    out.add(figure("lora_adapter_bytes", kind + " adapter weights (" + s.dtype().label() + ")", "bytes",
        Architecture.times(adapters, "b"), sym));
    for (long l : s.lengths()) {
      Map<String, Long> withL = new LinkedHashMap<>(sym);
      withL.put("L", l);
      String f = (s.batch() != 1 ? "2·B·L·" : "2·L·") + adapters;
      out.add(figure("lora_flops@" + l, kind + " extra forward FLOPs (L = " + group(l) + ")", "FLOPs", f, withL));
    }
  }

  private static Figure figure(String key, String label, String unit, String expr, Map<String, Long> sym) {
    ClosedForm f = ClosedForm.of(expr);
    return new Figure(key, label, unit, f, f.evaluate(sym));
  }

  /** The figure with this key, or null. */
  public Figure figure(String key) {
    for (Figure f : figures) if (f.key().equals(key)) return f;
    return null;
  }

  /** A figure's value as a long (throws if it does not fit). */
  public long value(String key) {
    Figure f = figure(key);
    if (f == null) throw new IllegalArgumentException("no figure '" + key + "'");
    return f.value().longValueExact();
  }

  static String group(long n) {
    return String.format(Locale.ROOT, "%,d", n);
  }
}
