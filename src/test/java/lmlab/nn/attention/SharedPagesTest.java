package lmlab.nn.attention;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import lmlab.kernels.Parallel;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * A batched decoding step over a paged cache whose rows share pages (a beam's reorders, rows that
 * went back to a shorter prefix, rows at different positions, page boundaries, ring caches) gives
 * every row, bit for bit, what the same row gets stepped alone on a cache holding only its own
 * keys and values: rows that share a page must each read their own run of it. In both cache
 * formats (a bf16 cache copies whole interleaved key rows on write).
 */
class SharedPagesTest {
  @AfterEach
  void defaultThreads() {
    Parallel.useDefaultThreads();
  }

  static Stream<Arguments> cases() {
    List<Arguments> out = new ArrayList<>();
    for (KvFormat format : KvFormat.values()) {
      for (int threads : new int[] {1, 2}) {
        out.add(Arguments.of("causal", 6, 6, 32, null, threads, format)); // chargpt's heads
        out.add(Arguments.of("causal", 4, 2, 16, Rope.Style.HALF, threads, format)); // GQA, RoPE
        out.add(Arguments.of("causal", 2, 1, 3, null, threads, format)); // heads narrower than a vector
        out.add(Arguments.of("sliding(41)", 2, 2, 16, null, threads, format)); // a ring: runs wrap to slot 0
        out.add(Arguments.of("block_local(5)", 2, 2, 32, null, threads, format));
      }
    }
    return out.stream();
  }

  @ParameterizedTest(name = "{0} n_q={1} n_kv={2} d_h={3} rope={4} threads={5} {6}")
  @MethodSource("cases")
  void eachRowOfABatchGetsTheBitsOfItsOwnStep(String maskSpec, int nq, int nkv, int dh, Rope.Style rope, int threads,
      KvFormat format) {
    Parallel.setThreads(threads);
    int maxPositions = 256;
    AttentionConfig cfg = new AttentionConfig(nq * dh, nq, nkv, dh, false, false,
        rope == null ? null : new Rope(1e4, rope, dh), ScoreFunction.SCALED_DOT, Normaliser.SOFTMAX,
        AttentionMask.parse(maskSpec, maxPositions), maxPositions, 0f);
    Random r = new Random(5);
    int rows = 5; // two pairs and a row on its own
    int kvWidth = nkv * dh;
    LayerKvCache cache = new LayerKvCache(cfg.mask(), nkv, dh, format, rows);
    // each row's keys and values so far (unrotated), to replay alone
    List<List<float[][]>> history = new ArrayList<>();
    for (int b = 0; b < rows; b++) history.add(new ArrayList<>());
    for (int step = 0; step < 110; step++) {
      if (step > 0 && r.nextInt(3) == 0) { // a beam step: rows continue other rows, repeats share every page
        int[] parents = new int[rows];
        for (int i = 0; i < rows; i++) parents[i] = r.nextInt(4) == 0 ? i : r.nextInt(rows);
        cache.reorder(parents);
        List<List<float[][]>> moved = new ArrayList<>();
        for (int p : parents) moved.add(new ArrayList<>(history.get(p)));
        history = moved;
      }
      if (r.nextInt(3) == 0) { // a row goes back (its pages still shared; a ring at most ROLLBACK tokens)
        int b = r.nextInt(rows);
        int length = Math.max(0, cache.position(b) - 1 - r.nextInt(cfg.mask().maxHeld() == Integer.MAX_VALUE ? 40 : 20));
        cache.truncate(b, length);
        history.set(b, new ArrayList<>(history.get(b).subList(0, length)));
      }
      float[] q = random(r, rows * nq * dh);
      float[] kv = random(r, rows * 2 * kvWidth);
      float[] k = Arrays.copyOfRange(kv, 0, rows * kvWidth);
      float[] v = Arrays.copyOfRange(kv, rows * kvWidth, kv.length);
      float[] out = new float[rows * nq * dh];
      Decoding.step(cfg, null, rows, 1, q.clone(), k.clone(), v.clone(), cache, out);
      for (int b = 0; b < rows; b++) {
        history.get(b).add(new float[][] {Arrays.copyOfRange(k, b * kvWidth, (b + 1) * kvWidth),
            Arrays.copyOfRange(v, b * kvWidth, (b + 1) * kvWidth)});
      }

      for (int b = 0; b < rows; b++) {
        float[] alone = alone(cfg, format, history.get(b), Arrays.copyOfRange(q, b * nq * dh, (b + 1) * nq * dh));
        assertThat(Arrays.copyOfRange(out, b * nq * dh, (b + 1) * nq * dh))
            .as("%s step %d row %d at position %d", maskSpec, step, b, cache.position(b))
            .containsExactly(alone);
      }
    }
  }

  /** The row stepped alone: its earlier keys and values appended one by one, then the last token with query q. */
  private static float[] alone(AttentionConfig cfg, KvFormat format, List<float[][]> history, float[] q) {
    int nq = cfg.numHeads();
    int dh = cfg.headDim();
    LayerKvCache one = new LayerKvCache(cfg.mask(), cfg.numKvHeads(), dh, format, 1);
    float[] out = new float[nq * dh];
    float[] q0 = new float[nq * dh];
    for (int i = 0; i < history.size(); i++) {
      float[] query = i + 1 == history.size() ? q.clone() : q0.clone();
      Decoding.step(cfg, null, 1, 1, query, history.get(i)[0].clone(), history.get(i)[1].clone(), one, out);
    }
    return out;
  }

  private static float[] random(Random r, int n) {
    float[] a = new float[n];
    for (int i = 0; i < n; i++) a[i] = (float) r.nextGaussian();
    return a;
  }
}
