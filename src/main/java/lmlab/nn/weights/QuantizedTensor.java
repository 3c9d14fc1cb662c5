package lmlab.nn.weights;

/**
 * A float32 tensor quantised by one of spec lora.md's quantisers and held as packed codes plus
 * constants, nothing else: m bits per element, packed most significant bits first (NF4: two per
 * byte, the first element in the high nibble, as bitsandbytes), and per block of b consecutive
 * elements of the row-major flattening (blocks run across rows) a float32 scale — Δ = absmax/qmax
 * for absmax int-m, absmax for NF4 — or, with double quantisation, an 8-bit code of the scale
 * plus one float32 absmax per 256 of them and one float32 offset c.
 *
 * <p>Element i dequantises to {@code value(code_i) · scale(block of i)}, value being the code
 * book: NF4's 16 values, or the integer code -qmax … qmax for absmax int-m.
 */
public final class QuantizedTensor {
  private final QuantMethod method;
  private final int n;
  private final int block;
  private final byte[] codes;
  private final float[] scales; // Δ or absmax per block; null with double quantisation
  private final byte[] dqCodes; // double quantisation: one 8-bit code per block
  private final float[] dqAbsmax; // one per DQ_BLOCK codes
  private final float dqOffset; // c, the mean of the exact absmax values
  private final float[] lut; // value(code) for every code

  QuantizedTensor(QuantMethod method, int n, byte[] codes, float[] scales, byte[] dqCodes, float[] dqAbsmax, float dqOffset) {
    this.method = method;
    this.n = n;
    this.block = method.block(n);
    this.codes = codes;
    this.scales = scales;
    this.dqCodes = dqCodes;
    this.dqAbsmax = dqAbsmax;
    this.dqOffset = dqOffset;
    this.lut = codeBook(method);
    int blocks = (n + block - 1) / block;
    if (codes.length != (int) QuantMethod.ceil((long) n * method.bits(), 8)) {
      throw new IllegalArgumentException(method.label() + ": " + codes.length + " code bytes for " + n + " elements, expected "
          + QuantMethod.ceil((long) n * method.bits(), 8));
    }
    if (method.doubleQuant()) {
      if (dqCodes.length != blocks || dqAbsmax.length != (blocks + QuantMethod.DQ_BLOCK - 1) / QuantMethod.DQ_BLOCK) {
        throw new IllegalArgumentException(method.label() + ": " + dqCodes.length + " scale codes and " + dqAbsmax.length
            + " second-level scales for " + blocks + " blocks");
      }
    } else if (scales.length != blocks) {
      throw new IllegalArgumentException(method.label() + ": " + scales.length + " scales for " + blocks + " blocks");
    }
  }

  /** A tensor restored from its stored parts (a quantised checkpoint); the sizes are checked. */
  public static QuantizedTensor of(QuantMethod method, int n, byte[] codes, float[] scales, byte[] dqCodes, float[] dqAbsmax,
      float dqOffset) {
    return new QuantizedTensor(method, n, codes, scales, dqCodes, dqAbsmax, dqOffset);
  }

  /** value(code) for every m-bit code: NF4's table, or code - qmax (absmax int-m's integers). */
  static float[] codeBook(QuantMethod m) {
    if (m.kind() == QuantMethod.Kind.NF4) return Quantizers.NF4.clone();
    int qmax = (1 << (m.bits() - 1)) - 1;
    float[] v = new float[1 << m.bits()];
    for (int u = 0; u < v.length; u++) v[u] = u - qmax;
    return v;
  }

  public QuantMethod method() {
    return method;
  }

  public int numel() {
    return n;
  }

  public int blockSize() {
    return block;
  }

  public int numBlocks() {
    return (n + block - 1) / block;
  }

  /** The packed codes (not a copy: for writing a checkpoint). */
  public byte[] packedCodes() {
    return codes;
  }

  /** The per-block scales, or null with double quantisation. */
  public float[] scales() {
    return scales;
  }

  public byte[] dqCodes() {
    return dqCodes;
  }

  public float[] dqAbsmax() {
    return dqAbsmax;
  }

  public float dqOffset() {
    return dqOffset;
  }

  /** The stored m-bit code of element i (0 … 2^m - 1). */
  public int code(int i) {
    int m = method.bits();
    if (m == 8) return codes[i] & 0xff;
    if (m == 4) return (i & 1) == 0 ? (codes[i >> 1] >> 4) & 0xf : codes[i >> 1] & 0xf;
    long pos = (long) i * m;
    int byteAt = (int) (pos >>> 3);
    int hi = codes[byteAt] & 0xff;
    int lo = byteAt + 1 < codes.length ? codes[byteAt + 1] & 0xff : 0;
    return ((hi << 8 | lo) >>> (16 - (int) (pos & 7) - m)) & ((1 << m) - 1);
  }

  /** The code as the spec writes it: -qmax … qmax for absmax int-m, the code book index for NF4. */
  public int signedCode(int i) {
    int c = code(i);
    return method.kind() == QuantMethod.Kind.NF4 ? c : c - ((1 << (method.bits() - 1)) - 1);
  }

  /** Block k's scale: Δ_k or absmax_k; with double quantisation â_k = D[code_k] · absmax2 + c. */
  public float scale(int k) {
    if (scales != null) return scales[k];
    return Quantizers.DQ_CODE[dqCodes[k] & 0xff] * dqAbsmax[k / QuantMethod.DQ_BLOCK] + dqOffset;
  }

  /** Elements [from, to) of the flattening, dequantised into dst from off. */
  public void dequantize(int from, int to, float[] dst, int off) {
    int i = from;
    while (i < to) {
      int k = i / block;
      int end = Math.min(to, (k + 1) * block);
      float s = scale(k);
      for (; i < end; i++) dst[off++] = lut[code(i)] * s;
    }
  }

  /** The whole tensor dequantised. */
  public float[] dequantize() {
    float[] out = new float[n];
    dequantize(0, n, out, 0);
    return out;
  }

  /**
   * Σ_p Ŵ[start + p]·x[xo + p] over p < len, reading the packed codes directly: per block segment
   * Σ value(code)·x in float32, then times the block's scale (the scale factors out of a block).
   */
  public float dot(int start, float[] x, int xo, int len) {
    float acc = 0;
    int i = start;
    int end = start + len;
    int m = method.bits();
    while (i < end) {
      int k = i / block;
      int segEnd = Math.min(end, (k + 1) * block);
      float part = 0;
      int xi = xo + (i - start);
      if (m == 4) {
        if ((i & 1) == 1 && i < segEnd) { // a row starting at the low nibble
          part += lut[codes[i >> 1] & 0xf] * x[xi++];
          i++;
        }
        for (; i + 1 < segEnd; i += 2) {
          int b = codes[i >> 1];
          part += lut[(b >> 4) & 0xf] * x[xi] + lut[b & 0xf] * x[xi + 1];
          xi += 2;
        }
        if (i < segEnd) {
          part += lut[(codes[i >> 1] >> 4) & 0xf] * x[xi++];
          i++;
        }
      } else if (m == 8) {
        for (; i < segEnd; i++) part += lut[codes[i] & 0xff] * x[xi++];
      } else {
        for (; i < segEnd; i++) part += lut[code(i)] * x[xi++];
      }
      acc += part * scale(k);
    }
    return acc;
  }

  /**
   * {@link #dot} of the same elements with four input vectors at x[xo0 ..], ..., x[xo3 ..], into
   * out[oo .. oo + 4): each code decoded once for the four, and four independent chains of adds
   * (one dot is a single dependent chain, so its adds' latency sets its time). Each sum is made
   * in dot's order, so each equals dot of its vector bit for bit.
   */
  public void dot4(int start, float[] x, int xo0, int xo1, int xo2, int xo3, int len, float[] out, int oo) {
    float c0 = 0, c1 = 0, c2 = 0, c3 = 0;
    int i = start;
    int end = start + len;
    int m = method.bits();
    while (i < end) {
      int k = i / block;
      int segEnd = Math.min(end, (k + 1) * block);
      float p0 = 0, p1 = 0, p2 = 0, p3 = 0;
      int d = i - start;
      if (m == 4) {
        if ((i & 1) == 1 && i < segEnd) { // a row starting at the low nibble
          float w = lut[codes[i >> 1] & 0xf];
          p0 += w * x[xo0 + d];
          p1 += w * x[xo1 + d];
          p2 += w * x[xo2 + d];
          p3 += w * x[xo3 + d];
          i++;
          d++;
        }
        for (; i + 1 < segEnd; i += 2, d += 2) {
          int b = codes[i >> 1];
          float w0 = lut[(b >> 4) & 0xf], w1 = lut[b & 0xf];
          p0 += w0 * x[xo0 + d] + w1 * x[xo0 + d + 1];
          p1 += w0 * x[xo1 + d] + w1 * x[xo1 + d + 1];
          p2 += w0 * x[xo2 + d] + w1 * x[xo2 + d + 1];
          p3 += w0 * x[xo3 + d] + w1 * x[xo3 + d + 1];
        }
        if (i < segEnd) {
          float w = lut[(codes[i >> 1] >> 4) & 0xf];
          p0 += w * x[xo0 + d];
          p1 += w * x[xo1 + d];
          p2 += w * x[xo2 + d];
          p3 += w * x[xo3 + d];
          i++;
        }
      } else {
        for (; i < segEnd; i++, d++) {
          float w = lut[m == 8 ? codes[i] & 0xff : code(i)];
          p0 += w * x[xo0 + d];
          p1 += w * x[xo1 + d];
          p2 += w * x[xo2 + d];
          p3 += w * x[xo3 + d];
        }
      }
      float sc = scale(k);
      c0 += p0 * sc;
      c1 += p1 * sc;
      c2 += p2 * sc;
      c3 += p3 * sc;
    }
    out[oo] = c0;
    out[oo + 1] = c1;
    out[oo + 2] = c2;
    out[oo + 3] = c3;
  }

  /** Bytes held: the codes and the constants (the spec's storage table; code books are shared). */
  public long bytes() {
    if (method.doubleQuant()) return codes.length + dqCodes.length + 4L * dqAbsmax.length + 4;
    return codes.length + 4L * scales.length;
  }
}
