package lmlab.nn;

import lmlab.nn.weights.Bf16Weights;
import lmlab.nn.weights.FloatWeights;
import lmlab.nn.weights.Weights;
import lmlab.tensor.IntTensor;
import lmlab.tensor.Rng;
import lmlab.tensor.Tensor;

/**
 * A lookup table (V, d): ids of any shape → (ids..., d). Initialised N(0, 1) like PyTorch.
 *
 * <p>The table is a float32 parameter, or, for decoding with {@code --weights bf16}
 * ({@link WeightFormats}), bfloat16 values read through {@link Bf16Weights} (then it is not a
 * parameter, and {@link #weight()} is null): each looked-up row is widened on the way out.
 */
public final class Embedding extends Module {
  private final Tensor weight;
  private final Bf16Weights bf16;
  private final int vocab;
  private final int dim;

  public Embedding(int vocab, int dim, Rng rng) {
    if (vocab < 1 || dim < 1) {
      throw new IllegalArgumentException("Embedding(" + vocab + ", " + dim + "): sizes must be >= 1");
    }
    this.weight = parameter("weight", Init.normal(rng, 1, vocab, dim));
    this.bf16 = null;
    this.vocab = vocab;
    this.dim = dim;
  }

  /** A table of bfloat16 rows (inference only). */
  public Embedding(Bf16Weights table) {
    this.weight = null;
    this.bf16 = table;
    this.vocab = table.rows();
    this.dim = table.cols();
  }

  public Tensor forward(IntTensor ids) {
    if (bf16 == null) return weight.embedding(ids); // out[..., :] = weight[ids[...], :]
    int[] flat = ids.toArray();
    float[] out = new float[Math.multiplyExact(flat.length, dim)];
    for (int i = 0; i < flat.length; i++) {
      check(flat[i]);
      bf16.row(flat[i], out, i * dim);
    }
    int[] shape = java.util.Arrays.copyOf(ids.shape(), ids.dim() + 1);
    shape[ids.dim()] = dim;
    return Tensor.of(out, shape);
  }

  /** Row id of the table into dst at off (a decoding step's embedding; no autograd). */
  public void lookup(int id, float[] dst, int off) {
    if (bf16 != null) {
      bf16.row(id, dst, off);
    } else {
      System.arraycopy(weight.storage(), weight.offset() + id * dim, dst, off, dim);
    }
  }

  private void check(int id) {
    if (id < 0 || id >= vocab) {
      throw new IllegalArgumentException("Embedding(" + vocab + ", " + dim + "): id " + id + " is outside [0, " + vocab + ")");
    }
  }

  /** The float32 table, or null when it is bf16 ({@link #table()}). */
  public Tensor weight() {
    return weight;
  }

  /** The table with its kernels: the parameter as float32 weights, or the bf16 table (a tied head reads it). */
  public Weights table() {
    return bf16 != null ? bf16 : new FloatWeights(weight);
  }

  /** The rows V and width d. */
  public int[] shape() {
    return new int[] {vocab, dim};
  }
}
