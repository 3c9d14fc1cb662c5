package lmlab.nn;

import static lmlab.testing.FixtureAssert.assertMatchesFixture;
import static lmlab.testing.FixtureAssert.fixture;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import lmlab.io.SafetensorsFile;
import lmlab.tensor.Rng;
import lmlab.tensor.Tensor;
import org.junit.jupiter.api.Test;

class LinearEmbeddingTest {
  @Test
  void linearMatchesTheFixture() {
    Linear lin = new Linear(5, 4, true, new Rng(1));
    assertThat(lin.stateDict().keySet()).containsExactly("weight", "bias");
    LayerFixtures.check(fixture("linear"), lin);
  }

  @Test
  void embeddingMatchesTheFixture() {
    SafetensorsFile f = fixture("embedding");
    Embedding emb = new Embedding(7, 4, new Rng(1));
    emb.loadStateDict(Map.of("weight", f.tensor("weight")));
    Tensor out = emb.forward(f.ints("ids"));
    assertMatchesFixture(f, "out", out);
    out.mul(f.tensor("grad_out")).sum().backward();
    assertMatchesFixture(f, "grad.weight", emb.weight().grad());
  }

  @Test
  void linearInitialisationStaysWithinPyTorchsBound() {
    Linear lin = new Linear(16, 8, true, new Rng(4));
    float bound = 0.25f;
    for (float v : lin.weight().toArray()) assertThat(Math.abs(v)).isLessThanOrEqualTo(bound);
    for (float v : lin.bias().toArray()) assertThat(Math.abs(v)).isLessThanOrEqualTo(bound);
    assertThat(new Linear(16, 8, false, new Rng(4)).stateDict().keySet()).containsExactly("weight");
  }

  @Test
  void aLinearAroundAnExistingTensorIsTied() {
    Embedding emb = new Embedding(7, 4, new Rng(1));
    Linear head = new Linear(emb.weight(), null);
    assertThat(head.weight()).isSameAs(emb.weight());
    assertThat(head.inFeatures()).isEqualTo(4);
    assertThat(head.outFeatures()).isEqualTo(7);
    assertThatThrownBy(() -> new Linear(emb.weight(), Tensor.zeros(3))).hasMessageContaining("(7)");
  }

  @Test
  void badInputsAreClearErrors() {
    Linear lin = new Linear(5, 4, true, new Rng(1));
    assertThatThrownBy(() -> lin.forward(Tensor.zeros(2, 3))).hasMessageContaining("Linear(5, 4)").hasMessageContaining("(2, 3)");
    Embedding emb = new Embedding(7, 4, new Rng(1));
    assertThatThrownBy(() -> emb.forward(lmlab.tensor.IntTensor.vector(1, 7))).hasMessageContaining("7");
  }
}
