package lmlab.models;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
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
   * conv_state and ssm_state.
   */
  static Map<String, Tensor> extras(List<MixerState> states, String... names) {
    Map<String, Tensor> out = new LinkedHashMap<>();
    for (int i = 0; i < names.length; i++) {
      int k = i;
      out.put(names[i], Tensor.stack(states.stream().map(s -> s.tensors().get(k)).toList(), 0));
    }
    return out;
  }
}
