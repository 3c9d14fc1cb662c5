package lmlab.nn;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.LinkedHashMap;
import java.util.Map;
import lmlab.tensor.Rng;
import lmlab.tensor.Tensor;
import org.junit.jupiter.api.Test;

class ModuleTest {
  /** norm → fc → dropout. */
  static final class Block extends Layer {
    final LayerNorm norm;
    final Linear fc;
    final Dropout drop;

    Block(Rng rng) {
      norm = child("norm", new LayerNorm(4));
      fc = child("fc", new Linear(4, 4, true, rng));
      drop = child("drop", new Dropout(0.5, rng));
    }

    @Override
    public Tensor forward(Tensor x) {
      return drop.forward(fc.forward(norm.forward(x)));
    }
  }

  /** Embedding (5, 4), a block, batch norm over 4 channels, and a head tied to the embedding with its own bias. */
  static final class Toy extends Module {
    final Embedding embed;
    final Block block;
    final BatchNorm1d bn;
    final Linear head;

    Toy(Rng rng) {
      embed = child("embed", new Embedding(5, 4, rng));
      block = child("block", new Block(rng));
      bn = child("bn", new BatchNorm1d(4));
      head = child("head", new Linear(embed.weight(), Tensor.zeros(5)));
    }
  }

  static final long TOY_PARAMS = 5 * 4 + (4 + 4) + (16 + 4) + (4 + 4) + 5;

  @Test
  void stateDictListsParametersAndBuffersDepthFirstInRegistrationOrder() {
    Toy toy = new Toy(new Rng(1));
    assertThat(toy.stateDict().keySet()).containsExactly(
        "embed.weight",
        "block.norm.weight", "block.norm.bias",
        "block.fc.weight", "block.fc.bias",
        "bn.weight", "bn.bias", "bn.running_mean", "bn.running_var",
        "head.bias");
    assertThat(toy.namedParameters().keySet()).doesNotContain("bn.running_mean", "bn.running_var", "head.weight");
    assertThat(toy.namedModules().keySet()).containsExactly(
        "", "embed", "block", "block.norm", "block.fc", "block.drop", "bn", "head");
  }

  @Test
  void aTiedParameterIsCountedOnce() {
    Toy toy = new Toy(new Rng(1));
    assertThat(toy.head.weight()).isSameAs(toy.embed.weight());
    assertThat(toy.numParameters()).isEqualTo(TOY_PARAMS);
    assertThat(toy.parameters()).hasSize(8);
    assertThat(toy.numParameters(false)).isEqualTo(TOY_PARAMS - 20);
  }

  @Test
  void loadStateDictCopiesEveryValue() {
    Toy a = new Toy(new Rng(1));
    Toy b = new Toy(new Rng(2));
    assertThat(b.block.fc.weight().toArray()).isNotEqualTo(a.block.fc.weight().toArray());
    b.loadStateDict(a.stateDict());
    for (var e : a.stateDict().entrySet()) {
      assertThat(b.stateDict().get(e.getKey()).toArray()).as(e.getKey()).containsExactly(e.getValue().toArray());
    }
    assertThat(b.head.weight()).isSameAs(b.embed.weight()); // still tied after loading
  }

  @Test
  void loadStateDictNamesAMissingTensor() {
    Map<String, Tensor> state = new LinkedHashMap<>(new Toy(new Rng(1)).stateDict());
    state.remove("block.fc.bias");
    assertThatThrownBy(() -> new Toy(new Rng(2)).loadStateDict(state))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("missing")
        .hasMessageContaining("'block.fc.bias'");
  }

  @Test
  void loadStateDictNamesAnExtraTensor() {
    Map<String, Tensor> state = new LinkedHashMap<>(new Toy(new Rng(1)).stateDict());
    state.put("block.fc.scale", Tensor.ones(4));
    assertThatThrownBy(() -> new Toy(new Rng(2)).loadStateDict(state))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("unexpected")
        .hasMessageContaining("'block.fc.scale'");
  }

  @Test
  void loadStateDictNamesAMisShapedTensorAndBothShapes() {
    Map<String, Tensor> state = new LinkedHashMap<>(new Toy(new Rng(1)).stateDict());
    state.put("block.norm.weight", Tensor.ones(5));
    Toy target = new Toy(new Rng(2));
    float[] before = target.block.norm.weight().toArray();
    assertThatThrownBy(() -> target.loadStateDict(state))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("'block.norm.weight'")
        .hasMessageContaining("(5,)")
        .hasMessageContaining("(4,)");
    assertThat(target.block.norm.weight().toArray()).containsExactly(before); // nothing half-loaded
  }

  @Test
  void trainAndEvalPropagateToEveryDescendant() {
    Toy toy = new Toy(new Rng(1));
    assertThat(toy.namedModules().values()).allMatch(Module::isTraining);
    toy.eval();
    assertThat(toy.namedModules().values()).noneMatch(Module::isTraining);
    Tensor x = Tensor.randn(new Rng(3), 2, 4);
    Tensor y1 = toy.block.forward(x);
    Tensor y2 = toy.block.forward(x);
    assertThat(y1.toArray()).containsExactly(y2.toArray()); // dropout off in eval
    toy.train(true);
    assertThat(toy.block.drop.isTraining()).isTrue();
    assertThat(toy.bn.isTraining()).isTrue();
  }

  @Test
  void zeroGradClearsEveryParameterGradient() {
    Toy toy = new Toy(new Rng(1));
    toy.eval();
    toy.block.forward(Tensor.randn(new Rng(3), 2, 4)).sum().backward();
    assertThat(toy.block.fc.weight().grad()).isNotNull();
    toy.zeroGrad();
    assertThat(toy.block.fc.weight().grad().toArray()).containsOnly(0f);
  }
}
