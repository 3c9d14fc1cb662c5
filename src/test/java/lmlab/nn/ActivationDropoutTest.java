package lmlab.nn;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import lmlab.tensor.Rng;
import lmlab.tensor.Tensor;
import lmlab.testing.FixtureAssert;
import org.junit.jupiter.api.Test;

class ActivationDropoutTest {
  @Test
  void everyActivationIsFoundByItsNameAndAppliesItsFunction() {
    Tensor x = Tensor.vector(-2f, -0.5f, 0f, 0.3f, 1.5f);
    assertThat(Activation.fromName("gelu").apply(x).toArray()).containsExactly(x.gelu().toArray());
    assertThat(Activation.fromName("gelu_tanh").apply(x).toArray()).containsExactly(x.geluTanh().toArray());
    assertThat(Activation.fromName("relu").apply(x).toArray()).containsExactly(0f, 0f, 0f, 0.3f, 1.5f);
    assertThat(Activation.fromName("silu").apply(x).toArray()).containsExactly(x.silu().toArray());
    assertThat(Activation.fromName("sigmoid").apply(x).toArray()).containsExactly(x.sigmoid().toArray());
    assertThat(Activation.fromName("tanh").apply(x).toArray()).containsExactly(x.tanh().toArray());
    assertThat(Activation.fromName("slide").apply(x).toArray()).containsExactly(0f, 0f, 0f, 0.3f, 1f);
    for (Activation a : Activation.values()) assertThat(Activation.fromName(a.configName())).isSameAs(a);
    assertThat(Activation.GELU_TANH.toString()).isEqualTo("gelu_tanh");
  }

  @Test
  void anUnknownActivationListsTheValidNames() {
    assertThatThrownBy(() -> Activation.fromName("swish"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("'swish'")
        .hasMessageContaining("gelu, gelu_tanh, relu, silu, sigmoid, tanh, slide");
  }

  @Test
  void dropoutIsTheIdentityInEvalModeAndWithPZero() {
    Tensor x = Tensor.randn(new Rng(1), 4, 8);
    Dropout d = new Dropout(0.5, new Rng(2));
    d.eval();
    assertThat(d.forward(x)).isSameAs(x);
    assertThat(new Dropout(0.0, null).forward(x)).isSameAs(x);
  }

  @Test
  void dropoutInTrainingZeroesOrScalesEachElement() {
    Tensor x = Tensor.ones(1000);
    Tensor y = new Dropout(0.25, new Rng(3)).forward(x);
    int zeros = 0;
    for (float v : y.toArray()) {
      if (v == 0f) {
        zeros++;
      } else {
        assertThat(v).isEqualTo(1f / 0.75f);
      }
    }
    assertThat(zeros).isBetween(180, 320);
    // the same seed gives the same mask
    FixtureAssert.assertClose("reproducible", new Dropout(0.25, new Rng(3)).forward(x), y);
  }

  @Test
  void dropoutChecksItsArguments() {
    assertThatThrownBy(() -> new Dropout(1.0, new Rng(1))).hasMessageContaining("[0, 1)");
    assertThatThrownBy(() -> new Dropout(0.1, null)).hasMessageContaining("Rng");
  }
}
