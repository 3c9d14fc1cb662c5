package lmlab.nn.attention;

import java.util.Locale;
import lmlab.autograd.Autograd;
import lmlab.kernels.Parallel;
import lmlab.tensor.Arena;
import lmlab.tensor.Shape;
import lmlab.tensor.Tensor;

/**
 * Rotary position embedding (layers.md, "RoPE"), applied per head of width d_h to queries and
 * keys: theta_i = base^(-2i/d_h), i = 0 .. d_h/2 - 1, and channel pair i of a row at position m
 * rotates by the angle m·theta_i.
 *
 * <ul>
 *   <li>{@link Style#HALF} (Hugging Face): pairs (x_i, x_(i + d_h/2)), i.e. {@code y = x cos(C) +
 *       rotate_half(x) sin(C)}, {@code rotate_half(x) = concat(-x[d_h/2:], x[:d_h/2])}.
 *   <li>{@link Style#INTERLEAVED} (RoFormer eq. 34, GPT-J): pairs (x_2i, x_(2i+1)).
 * </ul>
 *
 * <p>A rotation is orthogonal, so the backward pass is the rotation by the opposite angle. Angles
 * are computed in double precision and the cos/sin tables grow with the largest position seen.
 */
public final class Rope {
  /** Which channels are paired. */
  public enum Style {
    HALF("half"),
    INTERLEAVED("interleaved");

    private final String configName;

    Style(String configName) {
      this.configName = configName;
    }

    /** The config value, {@code half} or {@code interleaved}. */
    public String configName() {
      return configName;
    }

    /** Reads {@code half} or {@code interleaved} (the value of {@code rope_style}). */
    public static Style parse(String s) {
      if (s != null) {
        for (Style v : values()) if (v.configName.equals(s.trim().toLowerCase(Locale.ROOT))) return v;
      }
      throw new IllegalArgumentException("rope_style: expected half or interleaved, got '" + s + "'");
    }
  }

  private final double theta;
  private final Style style;
  private final int headDim;
  private final int half;
  private final double[] invFreq;
  /** cos/sin of m·theta_i at [m·half + i]; replaced (never mutated) when it grows. */
  private volatile float[][] table = {new float[0], new float[0]};

  /**
   * @param theta the base (rope_theta), > 0
   * @param style the pairing
   * @param headDim d_h, even and >= 2
   */
  public Rope(double theta, Style style, int headDim) {
    if (!(theta > 0) || Double.isInfinite(theta)) {
      throw new IllegalArgumentException("rope_theta must be a finite number > 0, got " + theta);
    }
    if (style == null) throw new IllegalArgumentException("rope_style must be half or interleaved, got null");
    if (headDim < 2 || headDim % 2 != 0) {
      throw new IllegalArgumentException("head_dim = " + headDim
          + " cannot take RoPE: it rotates pairs of channels and needs an even head_dim >= 2");
    }
    this.theta = theta;
    this.style = style;
    this.headDim = headDim;
    this.half = headDim / 2;
    this.invFreq = new double[half];
    for (int i = 0; i < half; i++) invFreq[i] = Math.pow(theta, -2.0 * i / headDim);
  }

  public double theta() {
    return theta;
  }

  public Style style() {
    return style;
  }

  public int headDim() {
    return headDim;
  }

  /** cos and sin tables covering positions [0, n). */
  private float[][] tables(int n) {
    float[][] t = table;
    if (t[0].length >= n * half) return t;
    synchronized (this) {
      t = table;
      if (t[0].length >= n * half) return t;
      int size = Math.max(n, Math.max(64, 2 * t[0].length / Math.max(1, half)));
      float[] cos = new float[size * half];
      float[] sin = new float[size * half];
      for (int m = 0; m < size; m++) {
        for (int i = 0; i < half; i++) {
          double a = m * invFreq[i];
          cos[m * half + i] = (float) Math.cos(a);
          sin[m * half + i] = (float) Math.sin(a);
        }
      }
      table = t = new float[][] {cos, sin};
      return t;
    }
  }

  /**
   * RoPE of x (..., S, d_h) with the given positions (S of them, each >= 0); differentiable.
   */
  public Tensor apply(Tensor x, int[] positions) {
    if (x.dim() < 2 || x.size(-1) != headDim || x.size(-2) != positions.length) {
      throw new IllegalArgumentException("RoPE: input must be (..., S, " + headDim + ") with S = " + positions.length
          + " positions, got shape " + Shape.str(x.shape()));
    }
    return rotate(x, positions, 1);
  }

  /**
   * RoPE of projected queries or keys x (B, S, H·d_h), head h in channels [h·d_h, (h+1)·d_h), at
   * positions start .. start + S - 1; differentiable. Returns a contiguous (B, S, H·d_h) tensor.
   */
  public Tensor applyToHeads(Tensor x, int numHeads, int start) {
    if (x.dim() != 3 || x.size(2) != numHeads * headDim) {
      throw new IllegalArgumentException("RoPE: input must be (B, S, " + numHeads + "·" + headDim + "), got shape "
          + Shape.str(x.shape()));
    }
    if (start < 0) throw new IllegalArgumentException("RoPE: start position must be >= 0, got " + start);
    int s = x.size(1);
    int[] positions = new int[s];
    for (int i = 0; i < s; i++) positions[i] = start + i;
    return rotate(x, positions, numHeads);
  }

  /** Rows of d_h; row r sits at sequence index (r / inner) % S. */
  private Tensor rotate(Tensor x0, int[] positions, int inner) {
    int maxPos = 0;
    for (int p : positions) {
      if (p < 0) throw new IllegalArgumentException("RoPE: positions must be >= 0, got " + p);
      maxPos = Math.max(maxPos, p);
    }
    float[][] t = tables(maxPos + 1);
    Tensor x = x0.contiguous();
    int[] shape = x.shape();
    Tensor out = Arena.zeros(shape);
    kernel(x.storage(), x.offset(), out.storage(), x.numel() / headDim, inner, positions, t, 1f);
    return Autograd.record("rope", out, g -> {
      Tensor gc = g.contiguous();
      Tensor dx = Arena.zeros(shape);
      kernel(gc.storage(), gc.offset(), dx.storage(), gc.numel() / headDim, inner, positions, t, -1f); // rotate back
      return new Tensor[] {dx};
    }, x0);
  }

  private void kernel(float[] src, int so, float[] dst, int rows, int inner, int[] positions, float[][] t, float sign) {
    int s = positions.length;
    float[] cos = t[0];
    float[] sin = t[1];
    Parallel.forRange(rows, Math.max(1, 4096 / headDim), (from, to) -> {
      for (int r = from; r < to; r++) {
        int base = positions[(r / inner) % s] * half;
        rotateRow(src, so + r * headDim, dst, r * headDim, cos, sin, base, sign);
      }
    });
  }

  private void rotateRow(float[] src, int p, float[] dst, int q, float[] cos, float[] sin, int base, float sign) {
    if (style == Style.HALF) {
      // y_i = x_i cos - x_(i+h) sin, y_(i+h) = x_(i+h) cos + x_i sin
      for (int i = 0; i < half; i++) {
        float c = cos[base + i];
        float sn = sign * sin[base + i];
        float a = src[p + i];
        float b = src[p + half + i];
        dst[q + i] = a * c - b * sn;
        dst[q + half + i] = b * c + a * sn;
      }
    } else {
      // y_2i = x_2i cos - x_(2i+1) sin, y_(2i+1) = x_(2i+1) cos + x_2i sin
      for (int i = 0; i < half; i++) {
        float c = cos[base + i];
        float sn = sign * sin[base + i];
        float a = src[p + 2 * i];
        float b = src[p + 2 * i + 1];
        dst[q + 2 * i] = a * c - b * sn;
        dst[q + 2 * i + 1] = b * c + a * sn;
      }
    }
  }

  /** Rotates one row of d_h values in place, at position pos (incremental decoding; no autograd). */
  public void rotateInPlace(float[] a, int offset, int pos) {
    float[][] t = tables(pos + 1);
    rotateRow(a, offset, a, offset, t[0], t[1], pos * half, 1f);
  }
}
