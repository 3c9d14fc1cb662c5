package lmlab.prompting;

import java.util.Random;

/**
 * The seeded partial Fisher-Yates sampler of prompting.md: k distinct indices out of n. Its output
 * is fixed by java.util.Random's specified algorithm, so other languages can reproduce it.
 */
public final class Sampler {
  private Sampler() {}

  public static int[] sample(int n, int k, long seed) {
    if (k > n) throw new IllegalArgumentException("cannot sample " + k + " questions out of " + n);
    if (k < 0) throw new IllegalArgumentException("cannot sample " + k + " questions");
    Random r = new Random(seed);
    int[] a = new int[n];
    for (int i = 0; i < n; i++) a[i] = i;
    for (int i = 0; i < k; i++) {
      int j = i + r.nextInt(n - i);
      int t = a[i];
      a[i] = a[j];
      a[j] = t;
    }
    return java.util.Arrays.copyOf(a, k);
  }
}
