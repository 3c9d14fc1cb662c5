package lmlab.train;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import lmlab.tensor.Rng;

/**
 * Shuffled epochs over N training sequences, as PyTorch's {@code DataLoader(shuffle=True,
 * batch_size=B)} in the course starter: each epoch is a fresh permutation (Fisher–Yates from the
 * trainer's data generator) cut into batches of B' = min(B, N), the last one smaller when B' does
 * not divide N. The permutation and the position in it are the data order's state, saved in every
 * checkpoint so that a resumed run continues the same epoch.
 */
public final class EpochOrder {
  private final int n;
  private int[] permutation; // null before the first epoch
  private int position;
  private long epoch = -1;

  public EpochOrder(int n) {
    if (n < 1) throw new IllegalArgumentException("shuffled epochs need a training set, got " + n + " sequences");
    this.n = n;
  }

  /** The rows of the next batch of at most batchSize, starting a new epoch (drawn from rng) when one is used up. */
  public int[] next(Rng rng, int batchSize) {
    if (permutation == null || position == n) {
      permutation = new int[n];
      for (int i = 0; i < n; i++) permutation[i] = i;
      for (int i = n - 1; i > 0; i--) { // Fisher–Yates
        int j = rng.nextInt(i + 1);
        int t = permutation[i];
        permutation[i] = permutation[j];
        permutation[j] = t;
      }
      position = 0;
      epoch++;
    }
    int size = Math.min(batchSize, n - position);
    int[] rows = new int[size];
    System.arraycopy(permutation, position, rows, 0, size);
    position += size;
    return rows;
  }

  /** {"epoch", "position", "permutation"} for trainer.json. */
  public ObjectNode state() {
    ObjectNode o = JsonNodeFactory.instance.objectNode();
    o.put("epoch", epoch);
    o.put("position", position);
    if (permutation != null) {
      ArrayNode a = o.putArray("permutation");
      for (int v : permutation) a.add(v);
    }
    return o;
  }

  /** Restores {@link #state()}; an error when it does not fit N. */
  public void restore(JsonNode st) {
    epoch = st.get("epoch").asLong();
    position = st.get("position").asInt();
    JsonNode a = st.get("permutation");
    if (a == null) {
      permutation = null;
      return;
    }
    if (a.size() != n || position < 0 || position > n) {
      throw new IllegalArgumentException("the epoch order holds " + a.size() + " rows at position " + position
          + " but the training set has " + n);
    }
    permutation = new int[n];
    for (int i = 0; i < n; i++) permutation[i] = a.get(i).asInt();
  }
}
