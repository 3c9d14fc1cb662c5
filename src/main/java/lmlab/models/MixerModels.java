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

  /** Every layer's state tensors as extras {@code state.<layer>.<i>}. */
  static Map<String, Tensor> extras(List<MixerState> states) {
    Map<String, Tensor> out = new LinkedHashMap<>();
    for (int l = 0; l < states.size(); l++) {
      List<Tensor> ts = states.get(l).tensors();
      for (int i = 0; i < ts.size(); i++) out.put("state." + l + "." + i, ts.get(i));
    }
    return out;
  }
}
