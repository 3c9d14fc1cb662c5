package lmlab.decode.structured;

import java.util.BitSet;

/**
 * The structured-output constraint of one generation: which tokens may come next, and the
 * automaton state after each accepted token. End-of-sequence is allowed only when the value may
 * end; generation should stop as soon as {@link #finished} (the value is complete and nothing
 * can extend it). One instance per request; not thread-safe (the trie it shares is).
 */
public final class JsonConstraint {
  private final TokenTrie trie;
  private final byte[][] tokenBytes;
  private final int[] endOfSequence;
  private JsonAutomaton.State state;

  public JsonConstraint(JsonSchemaSubset.Node schema, TokenTrie trie, byte[][] tokenBytes, int... endOfSequence) {
    this.trie = trie;
    this.tokenBytes = tokenBytes;
    this.endOfSequence = endOfSequence.clone();
    this.state = JsonAutomaton.start(schema);
  }

  /** A fresh mask of the tokens allowed next (end-of-sequence ids included when the value may end). */
  public BitSet allowed() {
    BitSet m = (BitSet) trie.allowed(state).clone();
    if (state.canEnd()) for (int e : endOfSequence) m.set(e);
    return m;
  }

  /** Advances by one sampled token; throws when the token was not allowed. */
  public void accept(int token) {
    for (int e : endOfSequence) if (e == token) {
      if (!state.canEnd()) throw new IllegalStateException("end-of-sequence before the value is complete");
      return;
    }
    JsonAutomaton.State next = JsonAutomaton.feed(state, tokenBytes[token]);
    if (next == null) throw new IllegalStateException("token " + token + " is not allowed here");
    state = next;
  }

  /** The value is complete and no token can extend it: generation ends here with finish_reason stop. */
  public boolean finished() {
    return state.done() || (state.canEnd() && trie.allowed(state).isEmpty());
  }

  /** Whether the bytes so far form a complete value. */
  public boolean complete() {
    return state.canEnd();
  }
}
