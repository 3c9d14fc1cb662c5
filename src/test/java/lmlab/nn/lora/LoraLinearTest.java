package lmlab.nn.lora;

import static lmlab.testing.FixtureAssert.assertMatchesFixture;
import static lmlab.testing.FixtureAssert.fixture;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Map;
import lmlab.io.SafetensorsFile;
import lmlab.nn.Linear;
import lmlab.nn.Workspace;
import lmlab.tensor.IntTensor;
import lmlab.tensor.Rng;
import lmlab.tensor.Tensor;
import org.junit.jupiter.api.Test;

/** The LoRA-adapted Linear against PEFT's fixtures (spec lora.md): forward, gradients, dropout, merge. */
class LoraLinearTest {

  /** A LoraLinear over the fixture's base and adapter tensors. */
  static LoraLinear fromFixture(SafetensorsFile f, int rank, double alpha, double dropout, boolean rslora) {
    Tensor w = f.tensor("weight");
    Linear base = new Linear(w.size(1), w.size(0), f.has("bias"), null);
    base.loadStateDict(f.has("bias") ? Map.of("weight", w, "bias", f.tensor("bias")) : Map.of("weight", w));
    LoraLinear l = new LoraLinear(base, new LoraConfig(rank, alpha, dropout, rslora, LoraTargets.DEFAULT), new Rng(1),
        new Rng(2));
    l.loraA().copy_(f.tensor("lora_A.weight"));
    l.loraB().copy_(f.tensor("lora_B.weight"));
    return l;
  }

  /** out, then the gradients of sum(out * grad_out): the adapter's and the input's; none for the frozen base. */
  static void checkGradients(SafetensorsFile f, LoraLinear l, Tensor x, Tensor out) {
    assertMatchesFixture(f, "out", out);
    out.mul(f.tensor("grad_out")).sum().backward();
    assertMatchesFixture(f, "grad.x", x.grad());
    assertMatchesFixture(f, "grad.lora_A.weight", l.loraA().grad());
    assertMatchesFixture(f, "grad.lora_B.weight", l.loraB().grad());
    if (l.weight() != null) assertThat(l.weight().grad()).as("frozen weight gets no gradient").isNull();
    if (l.bias() != null) assertThat(l.bias().grad()).as("frozen bias gets no gradient").isNull();
    assertThat(l.trainableParameters()).containsOnlyKeys("lora_A.weight", "lora_B.weight");
  }

  @Test
  void loraLinearMatchesPeft() {
    SafetensorsFile f = fixture("lora_linear");
    LoraLinear l = fromFixture(f, 4, 8, 0, false);
    assertThat(l.scaling()).isEqualTo(2f);
    Tensor x = f.tensor("x").requiresGrad(true);
    checkGradients(f, l, x, l.forward(x));
  }

  @Test
  void rsLoraScalesByAlphaOverRootRank() {
    SafetensorsFile f = fixture("lora_linear_rslora");
    LoraLinear l = fromFixture(f, 4, 8, 0, true);
    assertThat(l.scaling()).isEqualTo(4f);
    Tensor x = f.tensor("x").requiresGrad(true);
    checkGradients(f, l, x, l.forward(x));
  }

  @Test
  void dropoutActsOnTheAdapterInputOnly() {
    SafetensorsFile f = fixture("lora_linear_dropout");
    LoraLinear l = fromFixture(f, 4, 8, 0.25, false);
    Tensor x = f.tensor("x").requiresGrad(true);
    IntTensor keep = f.ints("dropout_keep");
    float[] m = new float[keep.numel()];
    for (int i = 0; i < m.length; i++) m[i] = keep.toArray()[i] / 0.75f;
    Tensor mask = Tensor.of(m, keep.shape());
    checkGradients(f, l, x, l.forward(x, x.mul(mask)));
  }

  @Test
  void dropoutDrawsInTrainingOnlyAndDiffersPerModule() {
    SafetensorsFile f = fixture("lora_linear");
    LoraLinear a = fromFixture(f, 4, 8, 0.5, false);
    Tensor x = f.tensor("x");
    a.train(false);
    assertThat(a.forward(x).toArray()).containsExactly(fromFixture(f, 4, 8, 0, false).forward(x).toArray());
    a.train(true);
    assertThat(a.forward(x).toArray()).isNotEqualTo(a.forward(x).toArray()); // a fresh mask per pass
  }

  /** A row stepped with others (a beam's, a server's rows) gets the bits it gets alone, base and update. */
  @Test
  void aRowSteppedWithOthersGetsItsBitsAlone() {
    Linear base = new Linear(96, 80, true, new Rng(2));
    LoraLinear l = new LoraLinear(base, new LoraConfig(8, 16, 0, false, LoraTargets.DEFAULT), new Rng(1), null);
    l.loraB().copy_(Tensor.randn(new Rng(4), 80, 8)); // B starts at zero: an update that adds nothing proves nothing
    l.eval();
    int n = 5;
    float[] xs = Tensor.randn(new Rng(5), n, 96).toArray();
    float[] many = new float[n * 80];
    l.step(xs, many, n, false, new Workspace());
    Workspace ws = new Workspace();
    for (int r = 0; r < n; r++) {
      float[] one = new float[80];
      l.step(java.util.Arrays.copyOfRange(xs, r * 96, r * 96 + 96), one, 1, false, ws);
      assertThat(java.util.Arrays.copyOfRange(many, r * 80, r * 80 + 80)).as("row %d of %d", r, n).containsExactly(one);
    }
  }

  @Test
  void mergeMatchesPeftAndUnmergeRestores() {
    SafetensorsFile f = fixture("lora_merge");
    Tensor w = f.tensor("weight");
    Linear base = new Linear(w.size(1), w.size(0), false, null);
    base.loadStateDict(Map.of("weight", w));
    LoraLinear l = new LoraLinear(base, new LoraConfig(3, 16, 0, false, LoraTargets.DEFAULT), new Rng(1), null);
    l.loraA().copy_(f.tensor("lora_A.weight"));
    l.loraB().copy_(f.tensor("lora_B.weight"));
    Tensor x = Tensor.randn(new Rng(3), 4, 9);
    float[] before = l.forward(x).toArray();
    assertMatchesFixture(f, "merged", Tensor.of(l.adapted().dense(), 6, 9));
    assertMatchesFixture(f, "merged", l.mergedLinear().weight());
    l.merge();
    assertMatchesFixture(f, "merged", l.weight());
    assertClose(l.forward(x).toArray(), before, 1e-5f);
    l.unmerge();
    assertClose(l.weight().toArray(), w.toArray(), 1e-6f);
    assertClose(l.forward(x).toArray(), before, 1e-5f);
  }

  @Test
  void decodingStepEqualsTheForward() {
    SafetensorsFile f = fixture("lora_linear");
    LoraLinear l = fromFixture(f, 4, 8, 0, false);
    l.eval();
    l.checkSteps();
    Tensor x = f.tensor("x"); // (2, 3, 12): 6 rows
    float[] want = l.forward(x).toArray();
    float[] xs = x.toArray();
    float[] many = new float[6 * 10];
    l.step(xs, many, 6, false, new Workspace());
    assertClose(many, want, 1e-5f);
    Workspace ws = new Workspace();
    for (int r = 0; r < 6; r++) {
      float[] one = new float[10];
      l.step(java.util.Arrays.copyOfRange(xs, r * 12, r * 12 + 12), one, 1, false, ws);
      assertClose(one, java.util.Arrays.copyOfRange(want, r * 10, r * 10 + 10), 1e-5f);
    }
  }

  @Test
  void freshAdapterStartsAsTheBase() {
    Linear base = new Linear(12, 10, true, new Rng(5));
    Tensor x = Tensor.randn(new Rng(6), 3, 12);
    float[] want = base.forward(x).toArray();
    LoraLinear l = new LoraLinear(base, LoraConfig.of(4), new Rng(7), null);
    assertThat(l.forward(x).toArray()).containsExactly(want);
    float bound = (float) (1 / Math.sqrt(12));
    for (float a : l.loraA().toArray()) assertThat(Math.abs(a)).isLessThanOrEqualTo(bound);
    assertThat(l.loraA().toArray()).isNotEqualTo(new float[48]);
    for (float b : l.loraB().toArray()) assertThat(b).isZero();
  }

  @Test
  void badConfigsAreNamed() {
    assertThatThrownBy(() -> new LoraConfig(0, 8, 0, false, LoraTargets.DEFAULT)).hasMessage("lora rank must be >= 1, got 0");
    assertThatThrownBy(() -> new LoraConfig(4, 8, 1.0, false, LoraTargets.DEFAULT))
        .hasMessageContaining("lora dropout must be in [0, 1), got 1.0");
    assertThat(LoraTargets.parse("q_proj,v_proj")).isEqualTo(new LoraTargets.Names(List.of("q_proj", "v_proj")));
    assertThat(LoraTargets.parse("all-linear")).isInstanceOf(LoraTargets.AllLinear.class);
    assertThat(LoraTargets.parse(".*\\.(q|v)_proj")).isInstanceOf(LoraTargets.Regex.class);
    assertThatThrownBy(() -> LoraTargets.parse("(q_proj")).hasMessageStartingWith("lora targets: '(q_proj' is not a regular expression");
  }

  static void assertClose(float[] a, float[] b, float tol) {
    assertThat(a).hasSameSizeAs(b);
    for (int i = 0; i < a.length; i++) {
      assertThat(Math.abs(a[i] - b[i])).as("element %d: %s vs %s", i, a[i], b[i]).isLessThanOrEqualTo(tol * (1 + Math.abs(b[i])));
    }
  }
}
