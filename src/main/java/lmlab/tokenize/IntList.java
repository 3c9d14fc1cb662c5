package lmlab.tokenize;

import java.util.Arrays;

/** A growable int array (token ids without boxing). */
final class IntList {
  private int[] a = new int[16];
  private int n;

  void add(int v) {
    if (n == a.length) a = Arrays.copyOf(a, 2 * n);
    a[n++] = v;
  }

  void addAll(int[] v) {
    if (n + v.length > a.length) a = Arrays.copyOf(a, Math.max(2 * a.length, n + v.length));
    System.arraycopy(v, 0, a, n, v.length);
    n += v.length;
  }

  int size() {
    return n;
  }

  int[] toArray() {
    return Arrays.copyOf(a, n);
  }
}
