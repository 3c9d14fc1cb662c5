package lmlab.nn;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import lmlab.models.Models;
import lmlab.models.Transformer;
import lmlab.tensor.IntTensor;
import lmlab.tensor.Rng;
import lmlab.tensor.Tensor;
import org.junit.jupiter.api.Test;

/** replaceChild, requiresGrad on a subtree, trainableParameters, and non-strict loading reports. */
class ModuleSurgeryTest {
  /** A Linear that doubles its output: a stand-in for an adapter around a layer. */
  static final class Doubled extends Layer {
    final Layer inner;

    Doubled(Layer inner) {
      this.inner = child("inner", inner);
    }

    @Override
    public Tensor forward(Tensor x) {
      return inner.forward(x).mul(2f);
    }
  }

  /** Two layers held in fields typed Layer, and a list. */
  static final class Stack extends Layer {
    final Layer first;
    Layer second;
    final List<Layer> all = new java.util.ArrayList<>();

    Stack(Rng rng) {
      first = child("first", new Linear(3, 3, true, rng));
      second = child("second", new Linear(3, 3, true, rng));
      all.add(first);
      all.add(second);
    }

    @Override
    public Tensor forward(Tensor x) {
      return second.forward(first.forward(x));
    }
  }

  @Test
  void replaceChildSwapsTheModuleTheForwardUsesAndKeepsTheOrder() {
    Stack s = new Stack(new Rng(1));
    Tensor x = Tensor.randn(new Rng(2), 2, 3);
    Tensor before = s.forward(x);
    Layer old = s.first;
    Module replaced = s.replaceChild("first", new Doubled(old));
    assertThat(replaced).isSameAs(old);
    assertThat(s.first).isInstanceOf(Doubled.class);
    assertThat(s.all.getFirst()).isSameAs(s.first);
    assertThat(s.children().keySet()).containsExactly("first", "second");
    assertThat(s.stateDict().keySet()).containsExactly("first.inner.weight", "first.inner.bias", "second.weight",
        "second.bias");
    // second(2·first(x)) = 2·W2·W1 x + 2·W2·b1 + b2: not before, and equal to what we compute by hand
    Linear second = (Linear) s.second;
    Tensor expected = second.forward(old.forward(x).mul(2f));
    assertThat(s.forward(x).toArray()).containsExactly(expected.toArray());
    assertThat(s.forward(x).toArray()).isNotEqualTo(before.toArray());
  }

  @Test
  void replaceChildErrorsNameThePath() {
    Stack s = new Stack(new Rng(1));
    assertThatThrownBy(() -> s.replaceChild("third", new Linear(3, 3, true, new Rng(3))))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("'third'")
        .hasMessageContaining("first, second");
    assertThatThrownBy(() -> s.replaceChild("first.inner", new Linear(3, 3, true, new Rng(3))))
        .hasMessageContaining("'first.inner'")
        .hasMessageContaining("'first' has no children");
    assertThatThrownBy(() -> s.replaceChild("", new Linear(3, 3, true, new Rng(3)))).hasMessageContaining("root");
    // a field typed Layer cannot hold a Module that is not one; nothing changes then
    Module notALayer = new Module() {};
    assertThatThrownBy(() -> s.replaceChild("second", notALayer))
        .hasMessageContaining("'second'")
        .hasMessageContaining("field second")
        .hasMessageContaining("as Layer");
    assertThat(s.children().get("second")).isSameAs(s.second);
    assertThat(s.all.get(1)).isSameAs(s.second);
  }

  @Test
  void aFrozenSubtreeHasNoGradientAndIsNotTrainable() {
    Stack s = new Stack(new Rng(1));
    s.module("first").requiresGrad(false);
    assertThat(s.trainableParameters().keySet()).containsExactly("second.weight", "second.bias");
    assertThat(s.namedParameters()).hasSize(4); // frozen parameters are still parameters (and in the state dict)
    s.forward(Tensor.randn(new Rng(2), 2, 3)).sum().backward();
    assertThat(((Linear) s.first).weight().grad()).isNull();
    assertThat(((Linear) s.second).weight().grad()).isNotNull();
    s.module("first").requiresGrad(true);
    assertThat(s.trainableParameters()).hasSize(4);
  }

  @Test
  void moduleNamesAnUnknownPath() {
    Transformer t = tiny(1);
    assertThat(t.module("model.layers.1.mlp")).isSameAs(t.namedModules().get("model.layers.1.mlp"));
    assertThatThrownBy(() -> t.module("model.layers.7.mlp"))
        .hasMessageContaining("'model.layers.7.mlp'")
        .hasMessageContaining("'model.layers' has children 0, 1");
  }

  static Transformer tiny(long seed) {
    return (Transformer) Models.preset("gpt", Map.of("vocab_size", "11", "hidden_size", "16", "num_hidden_layers",
        "2", "num_attention_heads", "2", "max_position_embeddings", "8")).newModel(seed);
  }

  /**
   * On a real model: load every tensor of B except block 0's (non-strict: the report names them as
   * missing), then graft B's block 0 in: the logits are B's exactly.
   */
  @Test
  void graftingABlockAndLoadingTheRestReproducesTheOtherModel() {
    Transformer a = tiny(1);
    Transformer b = tiny(2);
    IntTensor tokens = IntTensor.of(new int[] {1, 2, 3, 4, 5, 6}, 2, 3);
    Map<String, Tensor> state = new LinkedHashMap<>(b.stateDict());
    List<String> block0 = state.keySet().stream().filter(n -> n.startsWith("model.layers.0.")).toList();
    block0.forEach(state::remove);
    state.put("model.layers.9.extra", Tensor.ones(2));
    LoadReport r = a.loadStateDict(state, false);
    assertThat(r.missing()).containsExactlyElementsOf(block0);
    assertThat(r.unexpected()).containsExactly("model.layers.9.extra");
    assertThat(r.loaded()).hasSize(b.stateDict().size() - block0.size());
    assertThat(r.complete()).isFalse();
    assertThat(a.logits(tokens).toArray()).isNotEqualTo(b.logits(tokens).toArray());

    a.replaceChild("model.layers.0", b.module("model.layers.0"));
    assertThat(a.logits(tokens).toArray()).containsExactly(b.logits(tokens).toArray());
    assertThat(a.stateDict().keySet()).containsExactlyElementsOf(b.stateDict().keySet());
  }

  @Test
  void aStrictLoadListsTheFirstFewMissingNamesAndHowMany() {
    Transformer a = tiny(1);
    Map<String, Tensor> state = new LinkedHashMap<>(a.stateDict());
    List<String> gone = state.keySet().stream().filter(n -> n.startsWith("model.layers.1.")).toList();
    gone.forEach(state::remove);
    state.put("x.y", Tensor.ones(1));
    state.put("x.z", Tensor.ones(1));
    float[] before = a.stateDict().get("model.norm.weight").toArray();
    assertThatThrownBy(() -> tiny(2).loadStateDict(state))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("missing " + gone.size() + " tensors: '" + gone.get(0) + "'")
        .hasMessageContaining("and " + (gone.size() - LoadReport.SHOWN) + " more")
        .hasMessageContaining("2 unexpected tensors: 'x.y', 'x.z'");
    assertThat(a.stateDict().get("model.norm.weight").toArray()).containsExactly(before);
  }
}
