package lmlab.nn.mixers;

import static lmlab.testing.FixtureAssert.assertClose;
import static lmlab.testing.FixtureAssert.assertMatchesFixture;
import static lmlab.testing.FixtureAssert.fixture;
import static lmlab.testing.ModuleFixtures.assertParamGrads;
import static lmlab.testing.ModuleFixtures.leaf;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import lmlab.io.SafetensorsFile;
import lmlab.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * GLA, ReGLA and Mamba-2 layers against their fixtures (values, states, every gradient) for
 * several chunk lengths (0: token by token on autograd ops), and mixers.md's properties:
 * split-and-continue = whole, prefix = full, token-by-token decoding = forward.
 */
class MixerLayerTest {
  static Stream<Arguments> attentionCases() {
    List<Arguments> a = new ArrayList<>();
    for (String f : new String[] {"gla_layer", "regla_layer"}) for (int c : new int[] {0, 1, 3, 4, 9, 64}) a.add(Arguments.of(f, c));
    return a.stream();
  }

  @ParameterizedTest
  @MethodSource("attentionCases")
  void linearAttentionMatchesFixture(String name, int chunk) {
    SafetensorsFile f = fixture(name);
    LinearAttentionMixer m = MixerFixtures.linearAttention(f);
    Tensor x = leaf(f, "x");
    LinearAttentionMixer.Output r = m.forward(x, null, chunk);
    assertMatchesFixture(f, "out", r.out());
    assertMatchesFixture(f, "o", r.o());
    assertMatchesFixture(f, "h_n", r.state().tensors().get(0));
    if (r.state() instanceof ReglaMixer.State s) assertMatchesFixture(f, "key_max", s.keyMax());
    r.out().mul(f.tensor("grad_out")).sum().backward();
    assertMatchesFixture(f, "grad.x", x.grad());
    assertParamGrads(m, f);
  }

  @ParameterizedTest
  @ValueSource(ints = {0, 1, 3, 4, 8})
  void reglaCourseCheckWithEveryParameter001(int chunk) {
    SafetensorsFile f = fixture("regla_const001");
    LinearAttentionMixer m = MixerFixtures.linearAttention(f);
    Tensor x = f.tensor("x");
    for (int b = 0; b < 2; b++) {
      for (int t = 0; t < 8; t++) {
        for (int c = 0; c < 16; c++) assertThat(x.get(b, t, c)).isEqualTo((((b * 8 + t) * 16 + c) % 11) - 4.75f);
      }
    }
    LinearAttentionMixer.Output r = m.forward(x, null, chunk);
    assertMatchesFixture(f, "out", r.out());
    assertMatchesFixture(f, "o", r.o());
    assertMatchesFixture(f, "h_n", r.state().tensors().get(0));
    assertMatchesFixture(f, "key_max", r.state().tensors().get(1));
    assertThat(r.out().get(0, 0, 5)).isCloseTo(8.311438e-05f, org.assertj.core.data.Offset.offset(1e-9f));
  }

  static Stream<Arguments> mambaCases() {
    List<Arguments> a = new ArrayList<>();
    for (String f : new String[] {"mamba2_layer", "mamba2_layer_g2"}) for (int c : new int[] {0, 1, 3, 4, 9, 64}) a.add(Arguments.of(f, c));
    return a.stream();
  }

  @ParameterizedTest
  @MethodSource("mambaCases")
  void mamba2MatchesFixture(String name, int chunk) {
    SafetensorsFile f = fixture(name);
    Mamba2Mixer m = MixerFixtures.mamba2(f);
    Tensor x = leaf(f, "x");
    Mamba2Mixer.Output r = m.forward(x, null, chunk);
    assertMatchesFixture(f, "out", r.out());
    assertMatchesFixture(f, "y", r.y());
    assertMatchesFixture(f, "conv_state", r.state().conv());
    assertMatchesFixture(f, "ssm_state", r.state().ssm());
    r.out().mul(f.tensor("grad_out")).sum().backward();
    assertMatchesFixture(f, "grad.x", x.grad());
    assertParamGrads(m, f);
  }

  /** A layer as a function (x, state, chunk) -> (out, state). */
  private interface Layer {
    Tensor out(Tensor x, MixerState state, int chunk, MixerState[] after);
  }

  private static Layer layer(String name) {
    SafetensorsFile f = fixture(name);
    if (name.startsWith("mamba2")) {
      Mamba2Mixer m = MixerFixtures.mamba2(f);
      return (x, s, c, after) -> {
        Mamba2Mixer.Output o = c < 0 ? m.step((Mamba2Mixer.State) s, x) : m.forward(x, (Mamba2Mixer.State) s, c);
        after[0] = o.state();
        return o.out();
      };
    }
    LinearAttentionMixer m = MixerFixtures.linearAttention(f);
    return (x, s, c, after) -> {
      LinearAttentionMixer.Output o = c < 0 ? m.step(s, x) : m.forward(x, s, c);
      after[0] = o.state();
      return o.out();
    };
  }

  static Stream<Arguments> propertyCases() {
    List<Arguments> a = new ArrayList<>();
    for (String f : new String[] {"gla_layer", "regla_layer", "mamba2_layer", "mamba2_layer_g2"}) {
      for (int c : new int[] {1, 3, 4, 64}) a.add(Arguments.of(f, c));
    }
    return a.stream();
  }

  @ParameterizedTest
  @MethodSource("propertyCases")
  void splitAndContinueEqualsWholeAndPrefixEqualsFull(String name, int chunk) {
    Layer l = layer(name);
    Tensor x = fixture(name).tensor("x");
    int n = x.size(1);
    MixerState[] whole = new MixerState[1];
    Tensor full = l.out(x, null, chunk, whole);
    for (int cut : new int[] {1, 4, n - 1}) {
      MixerState[] first = new MixerState[1];
      Tensor a = l.out(x.narrow(1, 0, cut), null, chunk, first);
      assertClose(name + " prefix " + cut, a, full.narrow(1, 0, cut));
      MixerState[] second = new MixerState[1];
      Tensor b = l.out(x.narrow(1, cut, n - cut), first[0], chunk, second);
      assertClose(name + " continued after " + cut, b, full.narrow(1, cut, n - cut));
      for (int i = 0; i < whole[0].tensors().size(); i++) {
        assertClose(name + " state after the split at " + cut, second[0].tensors().get(i), whole[0].tensors().get(i));
      }
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"gla_layer", "regla_layer", "mamba2_layer", "mamba2_layer_g2"})
  void tokenByTokenStepsEqualTheForwardPass(String name) {
    Layer l = layer(name);
    SafetensorsFile f = fixture(name);
    Tensor x = f.tensor("x");
    MixerState[] state = new MixerState[1];
    for (int t = 0; t < x.size(1); t++) {
      Tensor y = l.out(x.narrow(1, t, 1), state[0], -1, state);
      assertClose(name + " step " + t, y, f.tensor("out").narrow(1, t, 1));
    }
    long elements = state[0].elements();
    MixerState[] again = new MixerState[1];
    l.out(x.narrow(1, 0, 1), null, -1, again);
    assertThat(again[0].elements()).as("state size does not grow with tokens").isEqualTo(elements);
  }

  @Test
  void forkAndReorderKeepRowsIndependent() {
    Layer l = layer("gla_layer");
    Tensor x = fixture("gla_layer").tensor("x");
    MixerState[] s = new MixerState[1];
    l.out(x.narrow(1, 0, 5), null, 4, s);
    MixerState swapped = s[0].reorder(new int[] {1, 0});
    MixerState fork = s[0].fork();
    MixerState[] a = new MixerState[1], b = new MixerState[1];
    Tensor ya = l.out(x.narrow(1, 5, 4), fork, 4, a);
    Tensor yb = l.out(Tensor.stack(List.of(x.select(0, 1), x.select(0, 0)), 0).narrow(1, 5, 4), swapped, 4, b);
    assertClose("row 0 after reorder", yb.select(0, 1), ya.select(0, 0));
    assertClose("row 1 after reorder", yb.select(0, 0), ya.select(0, 1));
  }

  @Test
  void badSizesNameTheKey() {
    assertThatThrownBy(() -> new LinearAttentionMixer.Config(16, 3, 0.5, 1, 1e-6))
        .hasMessageContaining("num_heads 3 must divide");
    assertThatThrownBy(() -> new Mamba2Mixer.Config(16, 6, 2, 8, 3, 1, 4, false, true, 1e-5, 0, Double.POSITIVE_INFINITY))
        .hasMessageContaining("num_heads · head_dim must equal expand · hidden_size");
    assertThatThrownBy(() -> new Mamba2Mixer.Config(16, 6, 2, 8, 4, 3, 4, false, true, 1e-5, 0, Double.POSITIVE_INFINITY))
        .hasMessageContaining("n_groups 3 must divide num_heads 4");
  }
}
