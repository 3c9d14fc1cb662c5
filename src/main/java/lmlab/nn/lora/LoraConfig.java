package lmlab.nn.lora;

/**
 * How a model is adapted (spec lora.md, PEFT's LoraConfig): rank r, lora_alpha, adapter dropout,
 * rank-stabilised scaling, and which Linear modules ({@link LoraTargets}).
 *
 * @param rank r ≥ 1: A is (r, in), B is (out, r)
 * @param alpha lora_alpha; the adapter's output is scaled by alpha / r (alpha / √r with rsLoRA)
 * @param dropout p in [0, 1): inverted dropout on the adapter input only, in training
 * @param rslora rank-stabilised LoRA (Kalajdzievski 2023): scaling alpha / √r
 */
public record LoraConfig(int rank, double alpha, double dropout, boolean rslora, LoraTargets targets) {
  public LoraConfig {
    if (rank < 1) throw new IllegalArgumentException("lora rank must be >= 1, got " + rank);
    if (!(alpha > 0) || Double.isInfinite(alpha)) throw new IllegalArgumentException("lora alpha must be > 0, got " + alpha);
    if (!(dropout >= 0 && dropout < 1)) throw new IllegalArgumentException("lora dropout must be in [0, 1), got " + dropout);
    if (targets == null) throw new IllegalArgumentException("lora targets are missing");
  }

  /** PEFT's defaults for what is not given: alpha = r (scaling 1), no dropout, q_proj and v_proj. */
  public static LoraConfig of(int rank) {
    return new LoraConfig(rank, rank, 0, false, LoraTargets.DEFAULT);
  }

  /** s = alpha / r, or alpha / √r with rsLoRA (PEFT computes it in double precision, then uses it as a float). */
  public float scaling() {
    return (float) (rslora ? alpha / Math.sqrt(rank) : alpha / rank);
  }
}
