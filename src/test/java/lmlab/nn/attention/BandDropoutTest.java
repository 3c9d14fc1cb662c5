package lmlab.nn.attention;

import static org.assertj.core.api.Assertions.assertThat;

import lmlab.nn.MultiHeadAttention;
import lmlab.tensor.Rng;
import lmlab.tensor.Tensor;
import lmlab.testing.FixtureAssert;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Attention dropout inside the fused kernel equals softmax/ReLU weights times the kernel's keep
 * mask / (1 - p), then @ V, built from ordinary tensor ops — outputs and gradients of q, k, v —
 * and drops about p of the weights.
 */
class BandDropoutTest {
  @ParameterizedTest
  @CsvSource(delimiter = ';', value = {"causal;SOFTMAX;0.1", "sliding(20);RELU;0.3", "dilated(12,3);SOFTMAX;0.5", "block_local(3);SOFTMAX;0.2"})
  void matchesTheTensorReference(String maskSpec, Normaliser norm, float p) {
    int b = 2;
    int s = 90;
    int h = 2;
    int dh = 16; // whole vectors and tails
    AttentionMask mask = AttentionMask.parse(maskSpec, 96);
    long seed = 1234567L;
    Rng rng = new Rng(3);
    Tensor q = Tensor.randn(rng, b, s, h * dh).requiresGrad(true);
    Tensor k = Tensor.randn(rng, b, s, h * dh).requiresGrad(true);
    Tensor v = Tensor.randn(rng, b, s, h * dh).requiresGrad(true);
    Tensor up = Tensor.randn(rng, b, s, h * dh);
    float scale = 0.25f;

    Tensor fused = BandAttention.attend(q, k, v, h, h, dh, scale, mask, norm, p, seed, null);
    fused.mul(up).sum().backward();
    Tensor[] fusedGrads = {q.grad().copy(), k.grad().copy(), v.grad().copy()};
    q.zeroGrad();
    k.zeroGrad();
    v.zeroGrad();

    // reference: dense weights ⊙ keep / (1 - p) @ V
    float[] keep = new float[b * h * s * s];
    float[] blocked = new float[s * s];
    float[] invN = new float[s];
    int kept = 0;
    int visible = 0;
    for (int t = 0; t < s; t++) {
      invN[t] = 1f / mask.count(t);
      for (int j = 0; j < s; j++) blocked[t * s + j] = mask.allowed(t, j) ? 0f : 1f;
    }
    for (int bh = 0; bh < b * h; bh++) {
      for (int t = 0; t < s; t++) {
        int rs = BandAttention.rowSeed(seed, (long) bh * s + t);
        for (int j = 0; j <= t; j++) {
          boolean on = BandAttention.keep(rs, j, p);
          keep[(bh * s + t) * s + j] = on ? 1f / (1f - p) : 0f;
          if (mask.allowed(t, j)) {
            visible++;
            if (on) kept++;
          }
        }
      }
    }
    Tensor q4 = MultiHeadAttention.splitHeads(q, h);
    Tensor k4 = MultiHeadAttention.splitHeads(k, h);
    Tensor v4 = MultiHeadAttention.splitHeads(v, h);
    Tensor scores = q4.matmul(k4.transpose(-2, -1)).mul(scale).maskedFill(Tensor.of(blocked, s, s), Float.NEGATIVE_INFINITY);
    Tensor w = norm == Normaliser.SOFTMAX ? scores.softmax(-1) : scores.relu().mul(Tensor.of(invN, s, 1));
    Tensor ref = MultiHeadAttention.mergeHeads(w.mul(Tensor.of(keep, b, h, s, s)).matmul(v4));
    ref.mul(up).sum().backward();

    FixtureAssert.assertClose("out", fused, ref);
    FixtureAssert.assertClose("grad q", fusedGrads[0], q.grad());
    FixtureAssert.assertClose("grad k", fusedGrads[1], k.grad());
    FixtureAssert.assertClose("grad v", fusedGrads[2], v.grad());
    double dropped = 1 - (double) kept / visible;
    assertThat(dropped).as("fraction dropped").isBetween(p - 0.05, p + 0.05);
  }
}
