package lmlab.nn.attention;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import lmlab.io.SafetensorsFile;
import lmlab.tensor.Rng;
import lmlab.tensor.Tensor;
import lmlab.testing.FixtureAssert;
import lmlab.testing.ModuleFixtures;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

class RopeTest {
  @ParameterizedTest
  @ValueSource(strings = {"rope_half", "rope_interleaved", "rope_half_offset"})
  void matchesTheFixture(String name) {
    SafetensorsFile f = FixtureAssert.fixture(name);
    Rope rope = new Rope(Double.parseDouble(f.metadata().get("rope_theta")),
        Rope.Style.parse(f.metadata().get("rope_style")), 8);
    Tensor x = ModuleFixtures.leaf(f, "x");
    int[] positions = f.ints("positions").toArray();
    Tensor out = rope.apply(x, positions);
    FixtureAssert.assertMatchesFixture(f, "out", out);
    out.mul(f.tensor("grad_out")).sum().backward();
    FixtureAssert.assertMatchesFixture(f, "grad.x", x.grad());
  }

  @Test
  void headsLayoutAgreesWithTheSplitHeadsLayout() {
    for (Rope.Style style : Rope.Style.values()) {
      Rope rope = new Rope(1e6, style, 6);
      Tensor x = Tensor.randn(new Rng(5), 2, 9, 3 * 6); // (B, S, H·d_h)
      Tensor viaHeads = rope.applyToHeads(x, 3, 4);
      Tensor split = x.reshape(2, 9, 3, 6).transpose(1, 2); // (B, H, S, d_h)
      int[] pos = {4, 5, 6, 7, 8, 9, 10, 11, 12};
      Tensor viaSplit = rope.apply(split, pos).transpose(1, 2).reshape(2, 9, 18);
      FixtureAssert.assertClose(style.configName(), viaHeads, viaSplit, 1e-6, 1e-6);
      // rotateInPlace at position 7 = row s = 3
      float[] row = x.narrow(1, 3, 1).narrow(2, 6, 6).contiguous().toArray();
      rope.rotateInPlace(row, 0, 7);
      float[] want = viaHeads.narrow(1, 3, 1).narrow(2, 6, 6).contiguous().toArray();
      for (int i = 0; i < 6; i++) assertThat(row[i]).isCloseTo(want[i], org.assertj.core.data.Offset.offset(1e-6f));
    }
  }

  @Test
  void badSettingsAreClearErrors() {
    assertThatThrownBy(() -> new Rope(1e4, Rope.Style.HALF, 7)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("head_dim = 7");
    assertThatThrownBy(() -> new Rope(0, Rope.Style.HALF, 8)).hasMessageContaining("rope_theta");
    assertThatThrownBy(() -> Rope.Style.parse("spiral")).hasMessageContaining("rope_style")
        .hasMessageContaining("spiral");
  }
}
