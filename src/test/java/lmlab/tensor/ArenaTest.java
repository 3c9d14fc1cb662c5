package lmlab.tensor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import lmlab.models.LanguageModel;
import lmlab.models.Models;
import lmlab.models.Transformer;
import lmlab.train.AdamW;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class ArenaTest {
  private static final int BIG = Arena.MIN_FLOATS;

  @Test
  void outsideAScopeBuffersAreFreshAndZero() {
    float[] a = Arena.zeroed(BIG);
    float[] b = Arena.scratch(BIG);
    assertThat(a).isNotSameAs(b).containsOnly(0f);
    assertThat(b).hasSize(BIG).containsOnly(0f);
  }

  @Test
  void theNextStepGetsTheSameBuffersBackZeroedWhenAskedForZeros() {
    Arena arena = new Arena(false);
    float[] first;
    float[] second;
    try (var s = arena.open()) {
      first = Arena.zeroed(BIG);
      second = Arena.scratch(BIG + 1);
      first[7] = 3f;
      second[5] = 4f;
    }
    try (var s = arena.open()) {
      float[] again = Arena.zeroed(BIG);
      float[] again2 = Arena.scratch(BIG + 1);
      assertThat(again).isSameAs(first).containsOnly(0f);
      assertThat(again2).isSameAs(second);
      assertThat(Arena.zeroed(BIG)).isNotSameAs(first); // two live buffers of one length are distinct
    }
    assertThat(arena.reused()).isEqualTo(2);
    assertThat(arena.created()).isEqualTo(3);
  }

  @Test
  void smallBuffersAndLengthsAStepDidNotUseAreNotKept() {
    Arena arena = new Arena(false);
    float[] small;
    float[] big;
    try (var s = arena.open()) {
      small = Arena.zeroed(BIG - 1);
      big = Arena.zeroed(2 * BIG);
    }
    try (var s = arena.open()) {
      assertThat(Arena.zeroed(BIG - 1)).isNotSameAs(small);
      Arena.zeroed(3 * BIG); // this step does not use 2·BIG
    }
    try (var s = arena.open()) {
      assertThat(Arena.zeroed(2 * BIG)).isNotSameAs(big);
    }
    assertThat(arena.reused()).isZero();
  }

  @Test
  void checkModePoisonsBuffersWhenTheirStepEnds() {
    Arena arena = new Arena(true);
    float[] kept;
    try (var s = arena.open()) {
      kept = Arena.zeroed(BIG);
      assertThat(kept).containsOnly(0f);
      assertThat(Arena.scratch(BIG)).containsOnly(Float.NaN);
    }
    assertThat(kept).containsOnly(Float.NaN);
    try (var s = arena.open()) {
      assertThat(Arena.zeroed(BIG)).isNotSameAs(kept);
    }
    assertThat(arena.reused()).isZero();
  }

  @Test
  void oneScopePerThread() {
    Arena arena = new Arena(false);
    try (var s = arena.open()) {
      assertThatThrownBy(() -> new Arena(false).open())
          .isInstanceOf(IllegalStateException.class)
          .hasMessageContaining("already open");
    }
    try (var s = arena.open()) { // closed scopes can be reopened
      assertThat(Arena.zeroed(BIG)).hasSize(BIG);
    }
  }

  @Test
  void parameterGradientsAreNotTheArenasMemory() {
    Arena arena = new Arena(true);
    Tensor w = Tensor.randn(new Rng(3), 64, 128).requiresGrad(true);
    try (var s = arena.open()) {
      w.mul(2f).sum().backward();
    }
    assertThat(w.grad().toArray()).containsOnly(2f);
  }

  /** Reused buffers must not change a single bit of training: losses and weights equal runs without an arena. */
  @ParameterizedTest
  @ValueSource(strings = {"gpt", "lstm-lm"})
  void trainingWithReusedBuffersIsBitwiseTheSame(String preset) {
    float[] plain = train(preset, null);
    float[] pooled = train(preset, new Arena(false));
    assertThat(plain.length).isEqualTo(pooled.length);
    int first = Arrays.mismatch(plain, pooled); // (AssertJ's list diff is quadratic on 400K values)
    assertThat(first).as("first differing value (losses, then parameters)").isEqualTo(-1);
  }

  private static float[] train(String preset, Arena arena) {
    Map<String, String> o = new LinkedHashMap<>();
    o.put("vocab_size", "39");
    LanguageModel model = Models.preset(preset, o).newModel(0);
    model.train(true);
    AdamW opt = new AdamW(model.namedParameters(), 1e-3, 0.9, 0.999, 1e-8, 1.0);
    Rng rng = new Rng(5);
    int b = 64;
    int s = 6;
    int[] x = new int[b * s];
    int[] y = new int[b * s];
    for (int i = 0; i < x.length; i++) {
      x[i] = rng.nextInt(39);
      y[i] = rng.nextInt(39);
    }
    IntTensor tokens = IntTensor.of(x, b, s);
    IntTensor targets = IntTensor.of(y, b, s);
    List<Float> out = new ArrayList<>();
    for (int step = 0; step < 4; step++) {
      Arena.Scope scope = arena == null ? null : arena.open();
      try {
        opt.zeroGrad();
        Tensor loss = Transformer.loss(model.logits(tokens), targets);
        out.add(loss.item());
        loss.backward();
        opt.step();
      } finally {
        if (scope != null) scope.close();
      }
    }
    if (arena != null) assertThat(arena.reused()).isPositive();
    for (Tensor p : model.namedParameters().values()) for (float v : p.toArray()) out.add(v);
    float[] values = new float[out.size()];
    for (int i = 0; i < values.length; i++) values[i] = out.get(i);
    return values;
  }
}
