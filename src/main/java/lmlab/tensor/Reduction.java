package lmlab.tensor;

/** How a loss combines its per-element values: their mean, their sum, or none (kept as is). */
public enum Reduction {
  MEAN,
  SUM,
  NONE
}
