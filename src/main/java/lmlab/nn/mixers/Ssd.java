package lmlab.nn.mixers;

import lmlab.tensor.Shape;
import lmlab.tensor.Tensor;

/**
 * Mamba-2's state-space dual core (Dao and Gu 2024; mamba_ssm {@code ssd_minimal_discrete}), per
 * head h reading group g(h) = floor(h / (H/G)), state h ∈ R^(P × N):
 *
 * <pre>
 *   h_t = exp(Δ_t A) h_{t-1} + Δ_t x_t B_tᵀ,    y_t = h_t C_t + D x_t
 * </pre>
 *
 * The token-by-token reference (chunk 0, the "recurrent form with autograd") runs
 * {@link GatedLinearScan#recurrent} with S = hᵀ, q = C, k = B, v = Δ·x and the log decay Δ·A on
 * every one of the N key channels. The chunked form (y_t = Σ_{s <= t} (C_t·B_s)
 * exp(c_t - c_s) Δ_s x_s + exp(c_t) h_prev C_t) is {@link SsdChunks}: one decay per head, so
 * only L × L pairwise exponentials per chunk, and a hand-written backward.
 */
public final class Ssd {
  private Ssd() {}

  /** y (B, S, H, P) and the state after the last token (B, H, P, N). */
  public record Result(Tensor y, Tensor state) {}

  /**
   * @param x (B, S, H, P)   @param dt Δ after softplus, (B, S, H)   @param a A (H,), negative
   * @param bm B (B, S, G, N)   @param cm C (B, S, G, N)   @param d D (H,)
   * @param h0 (B, H, P, N) or null for zeros
   * @param chunk the chunk length, or 0 for the token-by-token recurrence on autograd ops
   */
  public static Result apply(Tensor x, Tensor dt, Tensor a, Tensor bm, Tensor cm, Tensor d, Tensor h0, int chunk) {
    int[] xs = x.shape();
    if (xs.length != 4) throw new IllegalArgumentException("SSD: x must be (B, S, H, P), got " + Shape.str(xs));
    int b = xs[0], s = xs[1], h = xs[2], p = xs[3];
    int[] bs = bm.shape();
    if (bs.length != 4 || bs[0] != b || bs[1] != s || !Shape.same(cm.shape(), bs)) {
      throw new IllegalArgumentException("SSD: B and C must be (" + b + ", " + s + ", G, N), got "
          + Shape.str(bs) + " and " + Shape.str(cm.shape()));
    }
    int g = bs[2], n = bs[3];
    if (h % g != 0) throw new IllegalArgumentException("SSD: " + g + " groups do not divide " + h + " heads");
    if (!Shape.same(dt.shape(), new int[] {b, s, h}) || !Shape.same(a.shape(), new int[] {h})
        || !Shape.same(d.shape(), new int[] {h})) {
      throw new IllegalArgumentException("SSD: Δ must be (" + b + ", " + s + ", " + h + "), A and D (" + h + "), got "
          + Shape.str(dt.shape()) + ", " + Shape.str(a.shape()) + " and " + Shape.str(d.shape()));
    }
    if (h0 != null && !Shape.same(h0.shape(), new int[] {b, h, p, n})) {
      throw new IllegalArgumentException("SSD: the initial state must be (" + b + ", " + h + ", " + p + ", " + n
          + "), got " + Shape.str(h0.shape()));
    }
    if (chunk > 0) return SsdChunks.apply(x, dt, a, bm, cm, d, h0, chunk);
    Tensor q = perHead(cm, h);
    Tensor k = perHead(bm, h);
    Tensor v = x.mul(dt.unsqueeze(-1)); // Δ_t x_t
    Tensor logDecay = dt.mul(a).unsqueeze(-1).expand(b, s, h, n); // Δ_t A on every state channel
    Tensor start = h0 == null ? null : h0.transpose(-1, -2);
    GatedLinearScan.Result r = GatedLinearScan.recurrent(q, k, v, logDecay, start, 1f);
    Tensor y = r.out().add(x.mul(d.unsqueeze(-1))); // + D x_t
    return new Result(y, r.state().transpose(-1, -2));
  }

  /** (B, S, G, N) to (B, S, H, N): head h reads group floor(h / (H/G)). */
  private static Tensor perHead(Tensor t, int heads) {
    int[] s = t.shape();
    int g = s[2];
    if (g == heads) return t;
    return t.unsqueeze(3).expand(s[0], s[1], g, heads / g, s[3]).reshape(s[0], s[1], heads, s[3]);
  }
}
