package lmlab.nn.attention;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The decoding step appends the rows' keys on several threads: every row reserves its slot first
 * (on one thread), then the rows append in any order. Appending in reverse order (the worker's rows
 * done before the caller's) must store what appending row by row stores, also when rows share pages
 * (a beam's reorder), copies on write are due, a sharing row was truncated to another position and
 * the cache is a ring (a copy of a whole page that another row writes in place).
 */
class KvAppendOrderTest {
  private static final int KV_HEADS = 2;
  private static final int DH = 3;

  @Test
  void reverseOrderAppendsStoreWhatRowByRowAppendsStore() {
    for (AttentionMask mask : new AttentionMask[] {AttentionMask.causal(), AttentionMask.sliding(9)}) {
      for (int seed = 0; seed < 20; seed++) {
        Random r = new Random(seed);
        int rows = 4;
        LayerKvCache serial = new LayerKvCache(mask, KV_HEADS, DH, rows);
        LayerKvCache split = new LayerKvCache(mask, KV_HEADS, DH, rows);
        for (int step = 0; step < 60; step++) {
          if (r.nextInt(4) == 0) { // a beam step: rows continue other rows (repeats share pages)
            int[] parents = new int[rows];
            for (int i = 0; i < rows; i++) parents[i] = r.nextInt(rows);
            serial.reorder(parents);
            split.reorder(parents);
          }
          if (r.nextInt(6) == 0) { // a row goes back a few tokens (still sharing its pages)
            int row = r.nextInt(rows);
            int length = Math.max(0, serial.position(row) - 1 - r.nextInt(5));
            serial.truncate(row, length);
            split.truncate(row, length);
          }
          float[] k = new float[rows * KV_HEADS * DH];
          float[] v = new float[k.length];
          for (int i = 0; i < k.length; i++) {
            k[i] = r.nextFloat();
            v[i] = r.nextFloat();
          }
          int w = KV_HEADS * DH;
          for (int b = 0; b < rows; b++) serial.appendRow(b, k, b * w, v, b * w);
          for (int b = 0; b < rows; b++) split.reserve(b);
          for (int b = rows - 1; b >= 0; b--) split.append(b, k, b * w, v, b * w);
          for (int b = 0; b < rows; b++) {
            assertThat(split.position(b)).isEqualTo(serial.position(b));
            int p = serial.position(b);
            for (int pos = p - serial.tokensHeld(b); pos < p; pos++) {
              for (int h = 0; h < KV_HEADS; h++) {
                for (int e = 0; e < DH; e++) {
                  assertThat(key(split, b, pos, h, e)).as("%s seed %d step %d row %d position %d", mask.spec(), seed, step, b, pos)
                      .isEqualTo(key(serial, b, pos, h, e));
                  assertThat(value(split, b, pos, h, e)).isEqualTo(value(serial, b, pos, h, e));
                }
              }
            }
          }
        }
      }
    }
  }

  private static float key(LayerKvCache c, int row, int pos, int h, int e) {
    int slot = c.slotOf(pos);
    return c.keys()[c.keyBase(c.page(row, slot), h) + e * LayerKvCache.PAGE + slot % LayerKvCache.PAGE];
  }

  private static float value(LayerKvCache c, int row, int pos, int h, int e) {
    int slot = c.slotOf(pos);
    return c.values()[c.valueBase(c.page(row, slot), h) + (slot % LayerKvCache.PAGE) * DH + e];
  }
}
