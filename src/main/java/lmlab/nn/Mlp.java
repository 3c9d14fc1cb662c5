package lmlab.nn;

import lmlab.nn.weights.MatVec;
import lmlab.nn.weights.ProductGroup;
import lmlab.tensor.Rng;
import lmlab.tensor.Tensor;

/**
 * The plain (GELU) MLP: {@code down_proj(act(up_proj(x)))}, up_proj Linear(d, d_ff), down_proj
 * Linear(d_ff, d), d_ff = m·d for a multiplier m (default 4), biases on or off together.
 */
public final class Mlp extends FeedForward {
  public static final int DEFAULT_MULTIPLIER = 4;

  private final Linear upProj;
  private final Linear downProj;
  private final Activation act;
  /** act on columns [from, to) of each of the n rows of h (out wide); kept, so a step allocates no lambda. */
  private final MatVec.Columns activateColumns;

  /** d_ff given directly. */
  public Mlp(int d, int dFf, Activation act, boolean bias, Rng rng) {
    if (d < 1 || dFf < 1) throw new IllegalArgumentException("Mlp(d " + d + ", d_ff " + dFf + "): sizes must be >= 1");
    if (act == null) throw new IllegalArgumentException("Mlp: activation is null");
    this.act = act;
    this.activateColumns = (i, h, out, n, from, to) -> {
      for (int r = 0; r < n; r++) act.applyInPlace(h, r * out + from, to - from);
    };
    this.upProj = child("up_proj", new Linear(d, dFf, bias, rng));
    this.downProj = child("down_proj", new Linear(dFf, d, bias, rng));
  }

  /** d_ff = multiplier · d. */
  public static Mlp withMultiplier(int d, int multiplier, Activation act, boolean bias, Rng rng) {
    if (multiplier < 1) throw new IllegalArgumentException("Mlp: multiplier must be >= 1, got " + multiplier);
    return new Mlp(d, Math.multiplyExact(d, multiplier), act, bias, rng);
  }

  @Override
  public Tensor forward(Tensor x) {
    return downProj.forward(act.apply(upProj.forward(x))); // down(act(up(x)))
  }

  /**
   * down(act(up(x))) on n vectors; the hidden buffer (n, d_ff) is the workspace's. Several rows:
   * each thread applies act to the columns of up(x) it has just computed, inside the product's
   * parallel part (one fork-join of the worker pool fewer per layer).
   */
  @Override
  public void step(float[] x, float[] y, int n, boolean accumulate, Workspace ws) {
    int dff = upProj.outFeatures();
    float[] h = ws.floats(this, 0, n * dff);
    if (n > 1) { //                              act(up(x)), the columns of every row
      up(h, n, ws).run(x, n, activateColumns);
    } else {
      upProj.step(x, h, n, false, ws); //        up(x)
      act.applyInPlace(h, dff); //               act(up(x))
    }
    downProj.step(h, y, n, accumulate, ws); //   down(act(up(x)))
  }

  /**
   * y (+)= mlp(norm(x)) for n rows, the norm made inside the up products' parallel parts (into h
   * and the workspace's buffers, one per part; {@link MatVec#multiplyRows}): the same bits as
   * {@code norm.step(x, h)} then {@link #step}.
   */
  @Override
  public void stepNormed(Norm norm, float[] x, float[] h, float[] y, int n, boolean accumulate, Workspace ws) {
    if (n == 1) {
      super.stepNormed(norm, x, h, y, n, accumulate, ws);
      return;
    }
    float[] hidden = ws.floats(this, 0, n * upProj.outFeatures());
    up(hidden, n, ws).run(x, n, activateColumns, (from, into, r) -> norm.step(from, into, r, false, ws),
        part -> part == 0 ? h : ws.floats(this, PART_ROWS + part, n * upProj.inFeatures()));
    downProj.step(hidden, y, n, accumulate, ws); //   down(act(up(norm(x))))
  }

  /** Workspace slots PART_ROWS + part: the normalised rows of part ≥ 1 of {@link #stepNormed}. */
  private static final int PART_ROWS = 5;

  /** The up product of n rows into hidden, as a group kept in the workspace (counted for the analyser). */
  private ProductGroup up(float[] hidden, int n, Workspace ws) {
    ProductGroup group = ws.group(this, 1, hidden);
    if (group == null) group = ws.keep(this, 1, ProductGroup.of(upProj.product(hidden, false)));
    upProj.probe(n);
    return group;
  }

  @Override
  public int dim() {
    return upProj.inFeatures();
  }

  @Override
  public int hiddenDim() {
    return upProj.outFeatures();
  }

  public Activation activation() {
    return act;
  }

  public Linear upProj() {
    return upProj;
  }

  public Linear downProj() {
    return downProj;
  }
}
