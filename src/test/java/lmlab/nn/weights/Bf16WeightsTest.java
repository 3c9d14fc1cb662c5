package lmlab.nn.weights;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Random;
import lmlab.kernels.Bf16;
import lmlab.tensor.Tensor;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

/**
 * bf16 weights against {@link FloatWeights} over the same (widened) values: the matrix-vector rows
 * bit for bit (same FMA chain), the blocked matrix-matrix product within float32 rounding, and the
 * conversions: widening exact, narrowing to nearest with ties to even (PyTorch's rule).
 */
class Bf16WeightsTest {
  static Tensor random(Random r, int out, int in) {
    float[] v = new float[out * in];
    for (int i = 0; i < v.length; i++) v[i] = (float) r.nextGaussian();
    return Tensor.of(v, out, in);
  }

  @ParameterizedTest
  @CsvSource({"1, 1", "3, 7", "64, 64", "65, 33", "130, 100", "7, 1000"})
  void rowsEqualFloat32OverTheWidenedValuesAndMatmulAgrees(int out, int in) {
    Random r = new Random(out * 31L + in);
    Bf16Weights b = Bf16Weights.rounded(random(r, out, in));
    FloatWeights f = new FloatWeights(b.toFloat());
    float[] x = random(r, 3, in).toArray();
    float[] bias = random(r, 1, out).toArray();
    for (boolean acc : new boolean[] {false, true}) {
      float[] yb = new float[out + 2], yf = new float[out + 2];
      java.util.Arrays.fill(yb, 0.5f);
      java.util.Arrays.fill(yf, 0.5f);
      b.rows(0, out, x, in, bias, 0, yb, 1, acc);
      f.rows(0, out, x, in, bias, 0, yf, 1, acc);
      assertThat(yb).containsExactly(yf);
      // a sub-range of rows writes only those
      float[] zb = new float[out];
      b.rows(out / 2, out, x, 0, null, 0, zb, 0, false);
      for (int j = 0; j < out / 2; j++) assertThat(zb[j]).isZero();
    }
    for (int n : new int[] {3, 4, 5, 6, 7, 8, 13, 14, Weights.FEW_ROWS + 1}) { // the panels' tiles, then the blocked GEMM
      float[] xs = random(r, n, in).toArray();
      float[] mb = new float[n * out], mf = new float[n * out];
      b.matmul(xs, n, bias, 0, mb, false);
      f.matmul(xs, n, bias, 0, mf, false);
      if (n <= Weights.FEW_ROWS) {
        assertThat(mb).as("%d rows: float32's bits", n).containsExactly(mf);
        float[] one = new float[out];
        for (int row = 0; row < n; row++) {
          b.rows(0, out, xs, row * in, bias, 0, one, 0, false);
          assertThat(java.util.Arrays.copyOfRange(mb, row * out, (row + 1) * out)).as("row %d of %d: its bits alone", row, n)
              .containsExactly(one);
        }
        float[] split = new float[n * out];
        int panels = b.panels(n);
        b.matmulPanels(0, panels / 2, xs, n, bias, 0, split, false);
        b.matmulPanels(panels / 2, panels, xs, n, bias, 0, split, false);
        assertThat(split).as("%d rows, panels in two parts", n).containsExactly(mb);
      } else {
        for (int i = 0; i < mb.length; i++) {
          assertThat((double) mb[i]).isCloseTo(mf[i], org.assertj.core.data.Offset.offset(1e-5 * (1 + Math.abs(mf[i]))));
        }
      }
    }
    assertThat(b.bytes()).isEqualTo(2L * out * in);
    assertThat(Float.isNaN(b.touch(0, out))).isFalse();
  }

  @Test
  void narrowingRoundsToNearestEvenAndWideningIsExact() {
    assertThat(Bf16.fromFloat(1f)).isEqualTo((short) 0x3F80);
    // 1 + 2^-8 is halfway between 1 and 1 + 2^-7: ties to the even mantissa (1)
    assertThat(Bf16.fromFloat(1f + 0x1p-8f)).isEqualTo((short) 0x3F80);
    // 1 + 3·2^-8 is halfway between 1 + 2^-7 (odd) and 1 + 2^-6: up to the even one
    assertThat(Bf16.fromFloat(1f + 3 * 0x1p-8f)).isEqualTo((short) 0x3F82);
    assertThat(Bf16.fromFloat(1f + 0x1p-8f + 0x1p-20f)).isEqualTo((short) 0x3F81); // above the tie: up
    assertThat(Bf16.toFloat(Bf16.fromFloat(Float.POSITIVE_INFINITY))).isInfinite();
    assertThat(Float.isNaN(Bf16.toFloat(Bf16.fromFloat(Float.NaN)))).isTrue();
    assertThat(Bf16.toFloat(Bf16.fromFloat(-0f))).isEqualTo(-0f);
    assertThat(Bf16.toFloat((short) 0x4049)).isEqualTo(3.140625f);
    // the largest finite float rounds up to infinity, as PyTorch does
    assertThat(Bf16.toFloat(Bf16.fromFloat(Float.MAX_VALUE))).isInfinite();
  }

  @Test
  void rowLookupWidensOneRow() {
    Bf16Weights b = Bf16Weights.rounded(random(new Random(2), 5, 19));
    float[] all = b.toFloat().toArray();
    float[] row = new float[21];
    b.row(3, row, 2);
    for (int i = 0; i < 19; i++) assertThat(row[2 + i]).isEqualTo(all[3 * 19 + i]);
  }
}
