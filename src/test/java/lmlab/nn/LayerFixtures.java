package lmlab.nn;

import static lmlab.testing.FixtureAssert.assertMatchesFixture;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Function;
import lmlab.io.SafetensorsFile;
import lmlab.tensor.Tensor;

/** Runs a module against a layer fixture: parameters in, forward on x, backward of sum(out * grad_out). */
final class LayerFixtures {
  private LayerFixtures() {}

  /** The fixture tensors named like module's state dict. */
  static Map<String, Tensor> stateFrom(SafetensorsFile f, Module module) {
    Map<String, Tensor> state = new LinkedHashMap<>();
    for (String name : module.stateDict().keySet()) state.put(name, f.tensor(name));
    return state;
  }

  /**
   * Loads the fixture's parameters into module, compares out = forward(x) with "out", and, after
   * backward of sum(out * grad_out), every grad.* tensor of the file (grad.x and the parameters').
   */
  static void check(SafetensorsFile f, Module module, Function<Tensor, Tensor> forward) {
    module.loadStateDict(stateFrom(f, module));
    Tensor x = f.tensor("x").requiresGrad(true);
    Tensor out = forward.apply(x);
    assertMatchesFixture(f, "out", out);
    out.mul(f.tensor("grad_out")).sum().backward();
    Map<String, Tensor> params = module.namedParameters();
    int compared = 0;
    for (String name : f.names()) {
      if (!name.startsWith("grad.")) continue;
      String of = name.substring("grad.".length());
      Tensor t = of.equals("x") ? x : params.get(of);
      assertThat(t).as("fixture gradient %s names an input or parameter of the module", name).isNotNull();
      assertThat(t.grad()).as("gradient of %s", of).isNotNull();
      assertMatchesFixture(f, name, t.grad());
      compared++;
    }
    assertThat(compared).as("gradients compared").isEqualTo(params.size() + 1);
  }

  /** check with a Layer's forward. */
  static void check(SafetensorsFile f, Layer layer) {
    check(f, layer, layer::forward);
  }
}
