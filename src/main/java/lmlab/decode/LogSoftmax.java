package lmlab.decode;

/** log-softmax of rows of logits: log p_j = x_j − (max + log Σ exp(x_i − max)), summed in double. */
final class LogSoftmax {
  private LogSoftmax() {}

  /** log Σ_j exp(x[off + j]) over n entries (−∞ entries add nothing). */
  static double logSumExp(float[] x, int off, int n) {
    float max = Float.NEGATIVE_INFINITY;
    for (int j = 0; j < n; j++) if (x[off + j] > max) max = x[off + j];
    if (max == Float.NEGATIVE_INFINITY) return Double.NEGATIVE_INFINITY;
    double sum = 0;
    for (int j = 0; j < n; j++) sum += Math.exp((double) x[off + j] - max);
    return max + Math.log(sum);
  }

  /** out[outOff + j] = x[off + j] − logSumExp for each of rows rows of n entries. */
  static void rows(float[] x, int off, int rows, int n, float[] out, int outOff) {
    for (int r = 0; r < rows; r++) {
      double lse = logSumExp(x, off + r * n, n);
      for (int j = 0; j < n; j++) out[outOff + r * n + j] = (float) (x[off + r * n + j] - lse);
    }
  }
}
