package lmlab.nn.mixers;

import java.util.List;
import lmlab.tensor.Shape;
import lmlab.tensor.Tensor;

/**
 * Causal depthwise convolution over time, mamba_ssm's {@code causal_conv1d} (PyTorch Conv1d with
 * groups = channels, left padding K - 1), continuing from a conv state:
 *
 * <pre>
 *   ξ_t[c] = bias[c] + Σ_{j=0..K-1} weight[c, 0, j] · x_{t-K+1+j}[c]
 * </pre>
 *
 * where x_τ for τ < 0 comes from the state (B, C, K): the last K inputs, oldest first, zeros
 * before the first token (its oldest column is not read again). Built from shifted views, so its
 * gradients are those of the sum above.
 */
public final class CausalConv1d {
  private CausalConv1d() {}

  /** ξ (B, S, C) and the conv state after the last token (B, C, K). */
  public record Result(Tensor out, Tensor state) {}

  /**
   * @param x (B, S, C)   @param weight (C, 1, K)   @param bias (C,) or null
   * @param state (B, C, K) or null for zeros
   */
  public static Result apply(Tensor x, Tensor weight, Tensor bias, Tensor state) {
    int[] s = x.shape();
    int[] ws = weight.shape();
    if (s.length != 3 || ws.length != 3 || ws[0] != s[2] || ws[1] != 1) {
      throw new IllegalArgumentException("causal conv1d: x must be (B, S, C) and weight (C, 1, K), got "
          + Shape.str(s) + " and " + Shape.str(ws));
    }
    int b = s[0], n = s[1], c = s[2], k = ws[2];
    if (state != null && !Shape.same(state.shape(), new int[] {b, c, k})) {
      throw new IllegalArgumentException("causal conv1d: state must be (" + b + ", " + c + ", " + k + "), got "
          + Shape.str(state.shape()));
    }
    Tensor padded = x;
    if (k > 1) {
      Tensor prefix = state == null ? Tensor.zeros(b, k - 1, c) : state.narrow(2, 1, k - 1).transpose(1, 2);
      padded = Tensor.cat(List.of(prefix, x), 1); // (B, K - 1 + S, C)
    }
    Tensor w = weight.reshape(c, k);
    Tensor out = null;
    for (int j = 0; j < k; j++) {
      Tensor term = padded.narrow(1, j, n).mul(w.select(1, j)); // weight[c, 0, j] · x_{t-K+1+j}
      out = out == null ? term : out.add(term);
    }
    if (bias != null) out = out.add(bias);
    Tensor last = padded.narrow(1, n - 1, k); // the last K inputs (n >= 1; the prefix supplies K - 1)
    return new Result(out, last.transpose(1, 2).contiguous());
  }
}
