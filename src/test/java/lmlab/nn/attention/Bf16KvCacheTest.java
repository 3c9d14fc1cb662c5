package lmlab.nn.attention;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import lmlab.kernels.Bf16;
import lmlab.kernels.Parallel;
import lmlab.tensor.Rng;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * A bf16 KV cache ({@link KvFormat#BF16}) attends exactly as a float32 cache holding the same keys
 * and values rounded to bfloat16: stepped side by side, the bf16 cache on the raw projections and
 * the float32 one on queries and keys rotated by the test (at the same positions) and on keys and
 * values rounded by {@link Bf16#fromFloat}, the outputs agree to float32 rounding (the two caches
 * sum in different orders). So every layout detail — interleaved blocks, the heads' whole-block and
 * tail elements, runs inside pages, a ring's runs that start inside a block, every score function
 * and normaliser — is checked against the float32 kernels, and only the rounding of the cached
 * values differs from float32 decoding.
 */
class Bf16KvCacheTest {
  @AfterEach
  void defaultThreads() {
    Parallel.useDefaultThreads();
  }

  static Stream<Arguments> cases() {
    List<Arguments> out = new ArrayList<>();
    for (int threads : new int[] {1, 2}) {
      out.add(Arguments.of("causal", Normaliser.SOFTMAX, ScoreFunction.SCALED_DOT, null, 6, 6, 32, threads)); // chargpt
      out.add(Arguments.of("causal", Normaliser.SOFTMAX, ScoreFunction.SCALED_DOT, Rope.Style.HALF, 4, 2, 64, threads));
      out.add(Arguments.of("causal", Normaliser.SOFTMAX, ScoreFunction.SCALED_DOT, Rope.Style.INTERLEAVED, 2, 1, 40, threads));
      out.add(Arguments.of("causal", Normaliser.RELU, ScoreFunction.DOT, null, 2, 2, 3, threads)); // no whole block
      out.add(Arguments.of("sliding(41)", Normaliser.SOFTMAX, ScoreFunction.SCALED_DOT, Rope.Style.HALF, 2, 2, 16, threads));
      out.add(Arguments.of("sliding(6)", Normaliser.SOFTMAX, ScoreFunction.SCALED_DOT, null, 2, 1, 32, threads));
      out.add(Arguments.of("dilated(12,3)", Normaliser.RELU, ScoreFunction.SCALED_DOT, null, 2, 1, 40, threads));
      out.add(Arguments.of("block_local(5)", Normaliser.SOFTMAX, ScoreFunction.SCALED_DOT, null, 2, 2, 32, threads));
    }
    for (ScoreFunction f : ScoreFunction.values()) {
      out.add(Arguments.of("causal", Normaliser.SOFTMAX, f, null, 2, 2, 16, 1));
      out.add(Arguments.of("sliding(41)", Normaliser.SOFTMAX, f, null, 2, 1, 8, 2));
    }
    return out.stream();
  }

  @ParameterizedTest(name = "{0} {1} {2} rope={3} n_q={4} n_kv={5} d_h={6} threads={7}")
  @MethodSource("cases")
  void attendsAsFloat32OverTheRoundedKeysAndValues(String maskSpec, Normaliser norm, ScoreFunction score,
      Rope.Style rope, int nq, int nkv, int dh, int threads) {
    Parallel.setThreads(threads);
    int maxPositions = 256;
    AttentionMask mask = AttentionMask.parse(maskSpec, maxPositions);
    Rope r = rope == null ? null : new Rope(1e4, rope, dh);
    AttentionConfig cfg = new AttentionConfig(nq * dh, nq, nkv, dh, false, false, r, score, norm, mask, maxPositions, 0f);
    AttentionConfig plain = new AttentionConfig(nq * dh, nq, nkv, dh, false, false, null, score, norm, mask, maxPositions,
        0f);
    ScoreParams params = score == ScoreFunction.SCALED_DOT || score == ScoreFunction.DOT ? null
        : new ScoreParams(score, dh, new Rng(3));
    int rows = 3;
    LayerKvCache half = new LayerKvCache(mask, nkv, dh, KvFormat.BF16, rows);
    LayerKvCache reference = new LayerKvCache(mask, nkv, dh, KvFormat.F32, rows);
    Random random = new Random(7);
    double worst = 0;
    for (int step = 0; step < 90; step++) { // three pages; the rings wrap
      float[] q = random(random, rows * nq * dh);
      float[] k = random(random, rows * nkv * dh);
      float[] v = random(random, rows * nkv * dh);
      float[] got = new float[q.length];
      Decoding.step(cfg, params, rows, 1, q.clone(), k.clone(), v.clone(), half, got);
      float[] qr = q.clone(), kr = k.clone(), vr = v.clone();
      for (int b = 0; b < rows; b++) {
        int p = reference.position(b);
        if (r != null) {
          for (int h = 0; h < nq; h++) r.rotateInPlace(qr, (b * nq + h) * dh, p);
          for (int h = 0; h < nkv; h++) r.rotateInPlace(kr, (b * nkv + h) * dh, p);
        }
      }
      for (int i = 0; i < kr.length; i++) {
        kr[i] = Bf16.toFloat(Bf16.fromFloat(kr[i]));
        vr[i] = Bf16.toFloat(Bf16.fromFloat(vr[i]));
      }
      float[] want = new float[q.length];
      Decoding.step(plain, params, rows, 1, qr, kr, vr, reference, want);
      for (int i = 0; i < want.length; i++) {
        double d = Math.abs(got[i] - want[i]) / (1 + Math.abs(want[i]));
        assertThat(d).as("step %d element %d: %s vs %s", step, i, got[i], want[i]).isLessThanOrEqualTo(1e-5);
        worst = Math.max(worst, d);
      }
    }
    assertThat(half.bytes()).isEqualTo(reference.bytes() / 2);
  }

  /** The rounding is real: a bf16 cache's output differs from a float32 cache's on the raw values. */
  @Test
  void roundingMovesTheOutputByAboutBf16Precision() {
    AttentionMask mask = AttentionMask.causal();
    AttentionConfig cfg = new AttentionConfig(64, 2, 2, 32, false, false, null, ScoreFunction.SCALED_DOT,
        Normaliser.SOFTMAX, mask, 64, 0f);
    LayerKvCache half = new LayerKvCache(mask, 2, 32, KvFormat.BF16, 1);
    LayerKvCache full = new LayerKvCache(mask, 2, 32, KvFormat.F32, 1);
    Random random = new Random(11);
    double worst = 0;
    for (int step = 0; step < 40; step++) {
      float[] q = random(random, 64), k = random(random, 64), v = random(random, 64);
      float[] a = new float[64], b = new float[64];
      Decoding.step(cfg, null, 1, 1, q.clone(), k.clone(), v.clone(), half, a);
      Decoding.step(cfg, null, 1, 1, q.clone(), k.clone(), v.clone(), full, b);
      for (int i = 0; i < 64; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]));
    }
    assertThat(worst).isGreaterThan(1e-5).isLessThan(2e-2);
  }

  @Test
  void interleavingIsAPermutationOfEachRow() {
    int block = LayerKvCache.BLOCK;
    for (int n : new int[] {3, block, block + 5, 2 * block, 2 * block + block / 2}) {
      boolean[] used = new boolean[n];
      for (int i = 0; i < n; i++) {
        int at = LayerKvCache.interleaved(i, n);
        assertThat(at).isBetween(0, n - 1);
        assertThat(used[at]).as("n %d: element %d lands on a used place", n, i).isFalse();
        used[at] = true;
      }
    }
    // element j < L of a block at 2j, element L + j at 2j + 1
    assertThat(LayerKvCache.interleaved(1, block)).isEqualTo(2);
    assertThat(LayerKvCache.interleaved(block / 2 + 1, block)).isEqualTo(3);
  }

  @Test
  void formatsParseAndCachesOfTwoFormatsDoNotJoin() {
    assertThat(KvFormat.parse("bf16")).isEqualTo(KvFormat.BF16);
    assertThat(KvFormat.parse(" BFloat16 ")).isEqualTo(KvFormat.BF16);
    assertThat(KvFormat.parse("float32")).isEqualTo(KvFormat.F32);
    assertThatThrownBy(() -> KvFormat.parse("fp8")).hasMessage("'fp8' is not a KV cache format; expected f32 or bf16");
    LayerKvCache a = new LayerKvCache(AttentionMask.causal(), 1, 4, KvFormat.BF16, 1);
    LayerKvCache b = new LayerKvCache(AttentionMask.causal(), 1, 4, KvFormat.F32, 1);
    b.appendRow(0, new float[4], 0, new float[4], 0);
    assertThatThrownBy(() -> a.join(b)).hasMessageStartingWith("LayerKvCache: cannot join");
    assertThat(a.fork().format()).isEqualTo(KvFormat.BF16);
  }

  private static float[] random(Random r, int n) {
    float[] a = new float[n];
    for (int i = 0; i < n; i++) a[i] = (float) r.nextGaussian();
    return a;
  }
}
