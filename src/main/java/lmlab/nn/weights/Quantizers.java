package lmlab.nn.weights;

import java.util.Arrays;

/**
 * The quantisers of spec lora.md on a flattened float32 tensor, in blocks of b consecutive
 * elements (per tensor: one block):
 * <ul>
 *   <li>absmax int-m (the course's; Dettmers et al. 2022): qmax = 2^(m-1) - 1, Δ = absmax/qmax,
 *       code = clamp(rint(W/Δ), -qmax, qmax) with ties to even (0 where Δ = 0); Ŵ = Δ·code.
 *   <li>NF4 (Dettmers et al. 2023, bitsandbytes {@code quant_type="nf4"}): t = clamp(W/absmax, -1, 1),
 *       code = #{j < 15 : t > (N_j + N_(j+1))/2} (the nearest of the 16 values, ties to the lower
 *       index); Ŵ = N[code]·absmax.
 *   <li>double quantisation (QLoRA): the block maxima a_k minus their mean c, quantised like NF4
 *       with the 8-bit dynamic code book D in blocks of 256; â_k = D[code_k]·absmax2 + c. The
 *       4-bit codes are chosen with the exact a_k.
 * </ul>
 */
public final class Quantizers {
  /** bitsandbytes' NF4 code book ({@code get_4bit_type("nf4")}); every value is exactly a float32. */
  static final float[] NF4 = {
    -1.0f, -0.6961928009986877f, -0.5250730514526367f, -0.39491748809814453f,
    -0.28444138169288635f, -0.18477343022823334f, -0.09105003625154495f, 0.0f,
    0.07958029955625534f, 0.16093020141124725f, 0.24611230194568634f, 0.33791524171829224f,
    0.44070982933044434f, 0.5626170039176941f, 0.7229568362236023f, 1.0f};

  /**
   * bitsandbytes' {@code create_dynamic_map(signed=True, max_exponent_bits=7, total_bits=8)}: sorted
   * {0, 1} ∪ {±10^(e-6)·(0.1 + 0.9·(2k+1)/2^(e+1)) : e = 0 … 6, k < 2^e}, each rounded once from
   * double precision (bitsandbytes' float32 evaluation differs by an ulp in some entries; both give
   * the fixtures' codes).
   */
  static final float[] DQ_CODE = dynamicMap();

  private static final float[] NF4_MID = midpoints(NF4);
  private static final float[] DQ_MID = midpoints(DQ_CODE);

  private Quantizers() {}

  /** The NF4 code book (a copy). */
  public static float[] nf4CodeBook() {
    return NF4.clone();
  }

  /** The 8-bit code book of double quantisation (a copy). */
  public static float[] dynamicCodeBook() {
    return DQ_CODE.clone();
  }

  private static float[] dynamicMap() {
    float[] v = new float[256];
    int i = 0;
    v[i++] = 0f;
    v[i++] = 1f;
    for (int e = 0; e <= 6; e++) {
      for (int k = 0; k < (1 << e); k++) {
        double x = Math.pow(10, e - 6) * (0.1 + 0.9 * (2 * k + 1) / (double) (1 << (e + 1)));
        v[i++] = (float) x;
        v[i++] = (float) -x;
      }
    }
    Arrays.sort(v);
    return v;
  }

  private static float[] midpoints(float[] book) {
    float[] m = new float[book.length - 1];
    for (int j = 0; j < m.length; j++) m[j] = (book[j] + book[j + 1]) / 2;
    return m;
  }

  /** #{j : t > mid_j}: the index of the nearest code value, ties to the lower index (mid sorted). */
  static int nearest(float[] mid, float t) {
    int lo = 0;
    int hi = mid.length; // count of midpoints below t lies in [lo, hi]
    while (lo < hi) {
      int m = (lo + hi) >>> 1;
      if (t > mid[m]) lo = m + 1;
      else hi = m;
    }
    return lo;
  }

  /** w (row-major, any shape) quantised by method. */
  public static QuantizedTensor quantize(float[] w, QuantMethod method) {
    int n = w.length;
    int b = method.block(n);
    int blocks = (n + b - 1) / b;
    int m = method.bits();
    byte[] packed = new byte[(int) QuantMethod.ceil((long) n * m, 8)];
    float[] absmax = new float[blocks];
    for (int k = 0; k < blocks; k++) {
      float a = 0;
      for (int i = k * b, end = Math.min(n, (k + 1) * b); i < end; i++) a = Math.max(a, Math.abs(w[i]));
      absmax[k] = a;
    }
    if (method.kind() == QuantMethod.Kind.ABSMAX) {
      int qmax = (1 << (m - 1)) - 1;
      float[] delta = new float[blocks];
      for (int k = 0; k < blocks; k++) {
        float d = absmax[k] / qmax; //                                Δ = absmax / qmax (float32)
        delta[k] = d;
        for (int i = k * b, end = Math.min(n, (k + 1) * b); i < end; i++) {
          int c = d == 0 ? 0 : (int) Math.max(-qmax, Math.min(qmax, Math.rint(w[i] / d))); // ties to even
          pack(packed, i, m, c + qmax);
        }
      }
      return new QuantizedTensor(method, n, packed, delta, null, null, 0f);
    }
    for (int k = 0; k < blocks; k++) {
      float a = absmax[k];
      for (int i = k * b, end = Math.min(n, (k + 1) * b); i < end; i++) {
        float t = a == 0 ? 0f : Math.max(-1f, Math.min(1f, w[i] / a));
        pack(packed, i, 4, nearest(NF4_MID, t));
      }
    }
    if (!method.doubleQuant()) return new QuantizedTensor(method, n, packed, absmax, null, null, 0f);
    // double quantisation of the block maxima: c = mean (float64 sum), u = a - c, 8-bit codes per 256
    double sum = 0;
    for (float a : absmax) sum += a;
    float c = (float) (sum / blocks);
    int groups = (blocks + QuantMethod.DQ_BLOCK - 1) / QuantMethod.DQ_BLOCK;
    byte[] dq = new byte[blocks];
    float[] absmax2 = new float[groups];
    for (int g = 0; g < groups; g++) {
      int from = g * QuantMethod.DQ_BLOCK;
      int to = Math.min(blocks, from + QuantMethod.DQ_BLOCK);
      float a2 = 0;
      for (int k = from; k < to; k++) a2 = Math.max(a2, Math.abs(absmax[k] - c));
      absmax2[g] = a2;
      for (int k = from; k < to; k++) {
        float u = absmax[k] - c;
        float t = a2 == 0 ? 0f : Math.max(-1f, Math.min(1f, u / a2));
        dq[k] = (byte) nearest(DQ_MID, t);
      }
    }
    return new QuantizedTensor(method, n, packed, null, dq, absmax2, c);
  }

  /** Writes the m-bit code c of element i, most significant bits first. */
  static void pack(byte[] packed, int i, int m, int c) {
    long pos = (long) i * m;
    for (int bit = m - 1; bit >= 0; bit--, pos++) {
      if (((c >> bit) & 1) != 0) packed[(int) (pos >>> 3)] |= (byte) (0x80 >>> (int) (pos & 7));
    }
  }
}
