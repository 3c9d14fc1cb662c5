package lmlab.models;

import java.util.AbstractMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import lmlab.nn.Module;
import lmlab.nn.mixers.MixerState;
import lmlab.tensor.Tensor;

/** What the linear-time mixer models (gla, regla, mamba2) share. */
public final class MixerModels {
  private MixerModels() {}

  /** A forward pass's output and the state of every layer after it. */
  public record Result(LanguageModel.Output output, List<MixerState> states) {}

  /** A container registering children by index, like PyTorch's ModuleList. */
  static final class Layers extends Module {
    <M extends Module> M add(String name, M m) {
      return child(name, m);
    }
  }

  static <M extends Module> M addChild(Module list, String name, M m) {
    return ((Layers) list).add(name, m);
  }

  static void checkStates(String model, List<MixerState> states, int layers) {
    if (states != null && states.size() != layers) {
      throw new IllegalArgumentException(model + ": need one state per layer (" + layers + "), got " + states.size());
    }
  }

  /** x (n, d) = the embedding rows of tokens (E[token]), for a decoding step. */
  static void embed(Tensor e, int[] tokens, int n, float[] x) {
    Tensor c = e.contiguous();
    int d = c.size(1);
    for (int v = 0; v < n; v++) System.arraycopy(c.storage(), c.offset() + tokens[v] * d, x, v * d, d);
  }

  /**
   * The layers' final states as forward's extras, one per state tensor, stacked over the layers
   * (N_layer, B, ...) under the fixtures' names: GLA recurrent_state (ReGLA also key_max), Mamba-2
   * conv_state and ssm_state. Stacked when first read: a training step never reads them, and the
   * copies would be as large as the states of every layer.
   */
  static Map<String, Tensor> extras(List<MixerState> states, String... names) {
    return new StackedStates(states, names);
  }

  /** The extras map: the stacks made on first access, once. */
  private static final class StackedStates extends AbstractMap<String, Tensor> {
    private final List<MixerState> states;
    private final String[] names;
    private Map<String, Tensor> stacked;

    StackedStates(List<MixerState> states, String[] names) {
      this.states = List.copyOf(states);
      this.names = names.clone();
    }

    @Override
    public Set<Entry<String, Tensor>> entrySet() {
      if (stacked == null) {
        Map<String, Tensor> out = new LinkedHashMap<>();
        for (int i = 0; i < names.length; i++) {
          int k = i;
          out.put(names[i], Tensor.stack(states.stream().map(s -> s.tensors().get(k)).toList(), 0));
        }
        stacked = java.util.Collections.unmodifiableMap(out);
      }
      return stacked.entrySet();
    }

    @Override
    public Set<String> keySet() {
      return java.util.Collections.unmodifiableSet(new java.util.LinkedHashSet<>(List.of(names)));
    }
  }
}
