package lmlab.nn.attention;

import lmlab.tensor.Tensor;

/**
 * The incremental (KV-cache) attention step of one layer, on plain arrays: for each new token in
 * order, rotate its query and key at the token's absolute position, append its key and value to
 * the cache, and attend over the cached keys the mask lets it see. No autograd.
 */
public final class Decoding {
  private Decoding() {}

  /**
   * merge_heads(A @ V) (B·T·n_q·d_h values, row-major (B, T, n_q·d_h)) for projected q
   * (B, T, n_q·d_h), k and v (B, T, n_kv·d_h) of T new tokens; score holds the score function's
   * parameters (null for scaled_dot and dot).
   */
  public static float[] step(AttentionConfig cfg, ScoreParams score, Tensor q, Tensor k, Tensor v,
      LayerKvCache cache) {
    int batch = q.size(0);
    int steps = q.size(1);
    int nq = cfg.numHeads();
    int nkv = cfg.numKvHeads();
    int group = cfg.groupSize();
    int dh = cfg.headDim();
    cache.ensureBatch(batch);
    float[] qa = q.toArray();
    float[] ka = k.toArray();
    float[] va = v.toArray();
    float[] out = new float[batch * steps * nq * dh];
    AttentionMask mask = cfg.mask();
    Rope rope = cfg.rope();
    ScoreFunction f = cfg.score();
    float[] mat = score == null || score.matrix() == null ? null : score.matrix().toArray();
    float[] vec = score == null || score.vector() == null ? null : score.vector().toArray();
    double scale = f == ScoreFunction.SCALED_DOT || f == ScoreFunction.MULTIPLICATIVE ? 1 / Math.sqrt(dh) : 1;
    float[] qt = new float[dh];
    float[] eq = new float[dh];
    int qRow = nq * dh;
    int kvRow = nkv * dh;
    double[] w = new double[16];
    int[] keys = new int[16];
    for (int i = 0; i < steps; i++) {
      int t = cache.seen();
      if (rope != null) {
        for (int b = 0; b < batch; b++) {
          for (int h = 0; h < nq; h++) rope.rotateInPlace(qa, (b * steps + i) * qRow + h * dh, t);
          for (int h = 0; h < nkv; h++) rope.rotateInPlace(ka, (b * steps + i) * kvRow + h * dh, t);
        }
      }
      cache.append(ka, i * kvRow, va, i * kvRow, steps * kvRow);
      // the keys query t sees, all of them held by the cache
      int n = 0;
      if (mask.structured()) {
        int m = mask.count(t);
        if (keys.length < m) keys = new int[Math.max(m, 2 * keys.length)];
        for (int j = mask.first(t); j <= t; j += mask.stride()) keys[n++] = j;
      } else {
        if (keys.length < t + 1) keys = new int[Math.max(t + 1, 2 * keys.length)];
        for (int j = 0; j <= t; j++) if (mask.allowed(t, j)) keys[n++] = j;
        if (n == 0) {
          throw new IllegalArgumentException("mask " + mask.spec() + ": query " + t + " may see no key");
        }
      }
      if (w.length < n) w = new double[Math.max(n, 2 * w.length)];
      float[] kc = cache.keys();
      float[] vc = cache.values();
      for (int b = 0; b < batch; b++) {
        for (int h = 0; h < nq; h++) {
          int kvh = h / group;
          int qo = (b * steps + i) * qRow + h * dh;
          queryVector(f, mat, qa, qo, dh, qt, eq);
          double max = Double.NEGATIVE_INFINITY;
          for (int c = 0; c < n; c++) {
            int ko = cache.offset(b, kvh, cache.slotOf(keys[c]));
            double s = switch (f) {
              case SCALED_DOT, DOT, MULTIPLICATIVE -> dot(qt, kc, ko, dh) * scale;
              case CONCAT -> dot(vec, 0, kc, ko, dh) + dot(vec, dh, qa, qo, dh);
              case ADDITIVE -> additive(mat, vec, eq, kc, ko, dh);
            };
            w[c] = s;
            max = Math.max(max, s);
          }
          if (cfg.normaliser() == Normaliser.SOFTMAX) {
            double sum = 0;
            for (int c = 0; c < n; c++) sum += w[c] = Math.exp(w[c] - max);
            for (int c = 0; c < n; c++) w[c] /= sum;
          } else {
            for (int c = 0; c < n; c++) w[c] = Math.max(0, w[c]) / n; // relu(s) / n_t
          }
          int oo = (b * steps + i) * qRow + h * dh;
          for (int c = 0; c < n; c++) {
            if (w[c] == 0) continue;
            float wc = (float) w[c];
            int vo = cache.offset(b, kvh, cache.slotOf(keys[c]));
            for (int e = 0; e < dh; e++) out[oo + e] += wc * vc[vo + e];
          }
        }
      }
    }
    return out;
  }

  /** qt = the query as the dot-product scores use it (q, or q·W_s); eq = W_q q for additive. */
  private static void queryVector(ScoreFunction f, float[] mat, float[] qa, int qo, int dh, float[] qt, float[] eq) {
    switch (f) {
      case MULTIPLICATIVE -> { // (q^T W_s)_c = Σ_a q_a W_s[a, c]
        java.util.Arrays.fill(qt, 0f);
        for (int a = 0; a < dh; a++) {
          float qa0 = qa[qo + a];
          for (int c = 0; c < dh; c++) qt[c] += qa0 * mat[a * dh + c];
        }
      }
      case ADDITIVE -> { // W_s = [W_k | W_q], (d_a, 2 d_h): eq = W_q q
        for (int r = 0; r < dh; r++) eq[r] = (float) dot(mat, r * 2 * dh + dh, qa, qo, dh);
      }
      default -> System.arraycopy(qa, qo, qt, 0, dh);
    }
  }

  /** w_s · tanh(W_k k + eq). */
  private static double additive(float[] mat, float[] vec, float[] eq, float[] kc, int ko, int dh) {
    double s = 0;
    for (int r = 0; r < dh; r++) s += vec[r] * Math.tanh(dot(mat, r * 2 * dh, kc, ko, dh) + eq[r]);
    return s;
  }

  private static double dot(float[] a, float[] b, int bo, int n) {
    return dot(a, 0, b, bo, n);
  }

  private static double dot(float[] a, int ao, float[] b, int bo, int n) {
    float s = 0;
    for (int i = 0; i < n; i++) s += a[ao + i] * b[bo + i];
    return s;
  }
}
