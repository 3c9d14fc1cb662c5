package lmlab.nn;

import static lmlab.testing.FixtureAssert.fixture;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;
import lmlab.kernels.Parallel;
import lmlab.tensor.Rng;
import org.junit.jupiter.api.Test;

class FeedForwardTest {
  @Test
  void geluMlpWithBiasesMatchesTheFixture() {
    Mlp mlp = Mlp.withMultiplier(8, 4, Activation.GELU, true, new Rng(1));
    assertThat(mlp.stateDict().keySet())
        .containsExactly("up_proj.weight", "up_proj.bias", "down_proj.weight", "down_proj.bias");
    assertThat(mlp.hiddenDim()).isEqualTo(32);
    LayerFixtures.check(fixture("mlp_gelu"), mlp);
  }

  @Test
  void geluTanhMlpWithoutBiasesMatchesTheFixture() {
    Mlp mlp = new Mlp(8, 32, Activation.fromName("gelu_tanh"), false, new Rng(1));
    assertThat(mlp.stateDict().keySet()).containsExactly("up_proj.weight", "down_proj.weight");
    LayerFixtures.check(fixture("mlp_gelu_tanh"), mlp);
  }

  @Test
  void swigluMatchesTheFixture() {
    SwiGlu mlp = new SwiGlu(8, 12, false, new Rng(1));
    assertThat(mlp.stateDict().keySet()).containsExactly("gate_proj.weight", "up_proj.weight", "down_proj.weight");
    assertThat(mlp.dim()).isEqualTo(8);
    assertThat(mlp.hiddenDim()).isEqualTo(12);
    LayerFixtures.check(fixture("mlp_swiglu"), mlp);
  }

  @Test
  void parameterCountsFollowTheClosedForms() {
    int d = 16;
    assertThat(Mlp.withMultiplier(d, 4, Activation.GELU, true, new Rng(1)).numParameters())
        .isEqualTo(2L * 4 * d * d + 4 * d + d);
    assertThat(Mlp.withMultiplier(d, 4, Activation.GELU, false, new Rng(1)).numParameters()).isEqualTo(8L * d * d);
    assertThat(new SwiGlu(d, 24, false, new Rng(1)).numParameters()).isEqualTo(3L * d * 24);
  }

  /**
   * A step of several rows (the activation applied by each thread to the columns of up(x) it
   * computed) gives each row the bits of its own one-row step.
   */
  @Test
  void severalRowsGiveEachRowTheBitsOfItsOwnStep() {
    int before = Parallel.threads();
    try {
      // 40: each row's part ends in a masked tail; 768 and 1000 split over two threads, 1000 ending in a part of a panel
      for (int dff : new int[] {40, 768, 1000}) for (Activation act : new Activation[] {Activation.GELU, Activation.GELU_TANH}) {
        Mlp mlp = new Mlp(24, dff, act, true, new Rng(dff));
        int rows = 7;
        float[] x = new float[rows * 24];
        Rng rng = new Rng(3);
        for (int i = 0; i < x.length; i++) x[i] = (float) rng.nextGaussian();
        float[][] alone = new float[rows][24];
        Parallel.setThreads(1);
        for (int r = 0; r < rows; r++) mlp.step(Arrays.copyOfRange(x, r * 24, r * 24 + 24), alone[r], 1, false, new Workspace());
        for (int threads : new int[] {1, 2}) {
          Parallel.setThreads(threads);
          float[] y = new float[rows * 24];
          mlp.step(x, y, rows, false, new Workspace());
          for (int r = 0; r < rows; r++) {
            assertThat(Arrays.copyOfRange(y, r * 24, r * 24 + 24)).as("d_ff %d, %s, %d threads, row %d", dff, act, threads, r)
                .containsExactly(alone[r]);
          }
        }
      }
    } finally {
      Parallel.setThreads(before);
    }
  }
}
