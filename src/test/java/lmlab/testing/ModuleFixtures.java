package lmlab.testing;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeSet;
import lmlab.io.SafetensorsFile;
import lmlab.nn.Module;
import lmlab.tensor.Tensor;

/** Loading a module's parameters from a layer or model fixture and checking its gradients. */
public final class ModuleFixtures {
  private ModuleFixtures() {}

  /**
   * Copies the fixture tensors named like the module's state-dict entries (under prefix) into the
   * module. When the fixture lists its parameters (metadata {@code params}), the module must have
   * exactly those, so a missing or extra bias fails here.
   */
  public static void loadParams(Module m, SafetensorsFile f, String prefix) {
    String listed = f.metadata().get("params");
    if (listed != null) {
      TreeSet<String> expected = new TreeSet<>(Arrays.asList(listed.split(",")));
      TreeSet<String> mine = new TreeSet<>(m.stateDict().keySet());
      if (!expected.equals(mine)) {
        throw new AssertionError(f.source() + ": fixture parameters " + expected + " but the module has " + mine);
      }
    }
    Map<String, Tensor> state = new LinkedHashMap<>();
    for (String name : m.stateDict().keySet()) state.put(name, f.tensor(prefix + name));
    m.loadStateDict(state);
    m.zeroGrad();
  }

  public static void loadParams(Module m, SafetensorsFile f) {
    loadParams(m, f, "");
  }

  /** Every parameter's grad against the fixture's {@code grad.<prefix><name>}, both tolerance rules. */
  public static void assertParamGrads(Module m, SafetensorsFile f, String prefix) {
    for (var e : m.namedParameters().entrySet()) {
      Tensor g = e.getValue().grad();
      if (g == null) throw new AssertionError("no gradient reached parameter " + e.getKey());
      FixtureAssert.assertMatchesFixture(f, "grad." + prefix + e.getKey(), g);
    }
  }

  public static void assertParamGrads(Module m, SafetensorsFile f) {
    assertParamGrads(m, f, "");
  }

  /** A fixture input as a fresh leaf that requires grad. */
  public static Tensor leaf(SafetensorsFile f, String name) {
    return f.tensor(name).detach().requiresGrad(true);
  }
}
