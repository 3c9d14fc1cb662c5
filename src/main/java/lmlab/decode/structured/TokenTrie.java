package lmlab.decode.structured;

import java.util.Arrays;
import java.util.BitSet;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The vocabulary's token byte strings as a trie, and the automaton walked through it: {@link
 * #allowed} marks every token whose bytes the automaton accepts from a state, visiting each
 * shared prefix once and pruning a subtree at its first rejected byte (the approach of
 * llguidance and of llama.cpp's grammar sampler). Masks are cached per automaton state, since
 * generation revisits the same states (inside a string, between items) again and again.
 */
public final class TokenTrie {
  private final int vocabSize;
  // node arrays: children as a sorted (byte, child) run per node
  private int[] childStart;
  private int[] childCount;
  private int[] childByte;
  private int[] childNode;
  private int[][] tokensAt;
  private final Map<JsonAutomaton.State, BitSet> cache = new LinkedHashMap<>(1024, 0.75f, true) {
    @Override
    protected boolean removeEldestEntry(Map.Entry<JsonAutomaton.State, BitSet> e) {
      return size() > 4096;
    }
  };

  /**
   * @param tokenBytes each token's bytes; null for tokens that may never appear inside a
   *     structured value (special and added tokens, end-of-sequence)
   */
  public TokenTrie(byte[][] tokenBytes) {
    this.vocabSize = tokenBytes.length;
    // build with maps, then flatten to arrays
    java.util.List<java.util.TreeMap<Integer, Integer>> kids = new java.util.ArrayList<>();
    java.util.List<int[]> toks = new java.util.ArrayList<>();
    kids.add(new java.util.TreeMap<>());
    toks.add(new int[0]);
    for (int id = 0; id < tokenBytes.length; id++) {
      byte[] t = tokenBytes[id];
      if (t == null || t.length == 0) continue;
      int node = 0;
      for (byte x : t) {
        int b = x & 0xFF;
        Integer c = kids.get(node).get(b);
        if (c == null) {
          c = kids.size();
          kids.add(new java.util.TreeMap<>());
          toks.add(new int[0]);
          kids.get(node).put(b, c);
        }
        node = c;
      }
      int[] a = toks.get(node);
      a = Arrays.copyOf(a, a.length + 1);
      a[a.length - 1] = id;
      toks.set(node, a);
    }
    int n = kids.size();
    childStart = new int[n];
    childCount = new int[n];
    int edges = 0;
    for (var k : kids) edges += k.size();
    childByte = new int[edges];
    childNode = new int[edges];
    tokensAt = toks.toArray(new int[0][]);
    int e = 0;
    for (int i = 0; i < n; i++) {
      childStart[i] = e;
      childCount[i] = kids.get(i).size();
      for (var en : kids.get(i).entrySet()) {
        childByte[e] = en.getKey();
        childNode[e] = en.getValue();
        e++;
      }
    }
  }

  public int vocabSize() {
    return vocabSize;
  }

  public int nodes() {
    return childStart.length;
  }

  /** The tokens (among those in the trie) that the automaton accepts from {@code s}. Do not modify. */
  public synchronized BitSet allowed(JsonAutomaton.State s) {
    BitSet m = cache.get(s);
    if (m == null) {
      m = new BitSet(vocabSize);
      walk(0, s, m);
      cache.put(s, m);
    }
    return m;
  }

  private void walk(int node, JsonAutomaton.State s, BitSet out) {
    int start = childStart[node];
    for (int e = start; e < start + childCount[node]; e++) {
      JsonAutomaton.State next = JsonAutomaton.step(s, childByte[e]);
      if (next == null) continue;
      int child = childNode[e];
      for (int id : tokensAt[child]) out.set(id);
      if (childCount[child] > 0) walk(child, next, out);
    }
  }
}
