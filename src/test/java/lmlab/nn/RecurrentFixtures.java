package lmlab.nn;

import java.util.LinkedHashMap;
import java.util.Map;
import lmlab.io.SafetensorsFile;
import lmlab.tensor.Tensor;
import lmlab.testing.FixtureAssert;

/** Loading a module's parameters from a fixture and comparing its gradients (recurrent layer tests). */
final class RecurrentFixtures {
  private RecurrentFixtures() {}

  /** Copies the fixture's tensors named like the module's state-dict entries into the module. */
  static void loadParams(Module m, SafetensorsFile f) {
    Map<String, Tensor> state = new LinkedHashMap<>();
    for (String name : m.stateDict().keySet()) state.put(name, f.tensor(name));
    m.loadStateDict(state);
    m.zeroGrad();
  }

  /** Every parameter's grad against the fixture's grad.<name>. */
  static void assertParamGrads(Module m, SafetensorsFile f) {
    for (var e : m.namedParameters().entrySet()) {
      Tensor g = e.getValue().grad();
      if (g == null) throw new AssertionError("no gradient reached parameter " + e.getKey());
      FixtureAssert.assertMatchesFixture(f, "grad." + e.getKey(), g);
    }
  }

  /** A fixture input as a leaf that requires grad. */
  static Tensor leaf(SafetensorsFile f, String name) {
    return f.tensor(name).detach().requiresGrad(true);
  }

  /** sum over b, t of ||z - y||² — the course's BiRNN loss. */
  static Tensor sumOfSquares(Tensor y, Tensor z) {
    return y.sub(z).square().sum();
  }
}
