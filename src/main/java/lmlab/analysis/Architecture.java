package lmlab.analysis;

import java.util.List;
import java.util.Map;

/**
 * One configuration of one architecture family in the course notation: the closed forms of its
 * parameters, its KV cache or recurrent state and its forward FLOPs. Expressions are in the
 * symbols of {@link #symbols()} plus L (sequence length); the analyser adds b (bytes per element)
 * and B (batch).
 */
public sealed interface Architecture permits TransformerArch, Mamba2Arch, GlaArch, RecurrentLmArch {
  /** A matrix that LoRA can adapt: its name and its input and output widths as expressions. */
  record Matrix(String name, String in, String out) {}

  /** The configuration's name (preset, family or config file). */
  String name();

  /** One line: the family and the switches that change the formulas. */
  String summary();

  /** The symbol values (course notation) the expressions use, L excluded. */
  Map<String, Long> symbols();

  /** All trainable parameters, tied tensors once. */
  String parameters();

  /** Embedding tables (token embeddings, learned positions; a tied head with them). */
  String embeddingParameters();

  /** The parameters of one layer (block). */
  String layerParameters();

  /** What {@link #layerParameters} counts, e.g. "per layer" or "per layer (the first)". */
  default String layerLabel() {
    return "per layer";
  }

  /** True when {@link #stateElements} is a recurrent state (independent of L), false for a KV cache. */
  boolean recurrent();

  /** Elements held for one sequence after L tokens (KV cache or recurrent state), all layers. */
  String stateElements();

  /** FLOPs of one forward pass over one sequence of L tokens. */
  String forwardFlops(Counting counting);

  /** The matrices LoRA may adapt, per layer, by target name (q, k, v, o, gate, up, down); empty if none. */
  default List<Matrix> loraMatrices() {
    return List.of();
  }

  /** expr·factor, with expr bracketed when it is a sum. */
  static String times(String expr, String factor) {
    return (topLevelSum(expr) ? "(" + expr + ")" : expr) + "·" + factor;
  }

  /** factor·expr, with expr bracketed when it is a sum. */
  static String timesLeft(String factor, String expr) {
    return factor + "·" + (topLevelSum(expr) ? "(" + expr + ")" : expr);
  }

  private static boolean topLevelSum(String e) {
    int depth = 0;
    for (int i = 0; i < e.length(); i++) {
      char c = e.charAt(i);
      if (c == '(') depth++;
      else if (c == ')') depth--;
      else if (depth == 0 && (c == '+' || (c == '-' && i > 0))) return true;
    }
    return false;
  }
}
