package lmlab.analysis;

/**
 * Sizes given in the course notation (the CLI's {@code --V --d --n-layer --n-q --n-kv --d-ff --d-h
 * --S-max --E --P --N --G --n-h --d-k --d-v --d-e}); null = keep the configuration's value. A size
 * the configuration derives (d_h = d/n_q, d_ff = m·d, d_k = d/2, ...) follows the sizes it derives
 * from unless given itself.
 */
public record Overrides(Integer vocab, Integer hidden, Integer layers, Integer qHeads, Integer kvHeads,
    Integer ffDim, Integer headDim, Integer maxPositions, Integer expand, Integer headWidth, Integer stateSize,
    Integer groups, Integer glaHeads, Integer keyDim, Integer valueDim, Integer embedding) {

  public static final Overrides NONE = new Overrides(null, null, null, null, null, null, null, null, null, null, null,
      null, null, null, null, null);

  static int or(Integer v, int fallback) {
    return v != null ? v : fallback;
  }
}
