package lmlab.nn;

import lmlab.kernels.Parallel;
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

  /** d_ff given directly. */
  public Mlp(int d, int dFf, Activation act, boolean bias, Rng rng) {
    if (d < 1 || dFf < 1) throw new IllegalArgumentException("Mlp(d " + d + ", d_ff " + dFf + "): sizes must be >= 1");
    if (act == null) throw new IllegalArgumentException("Mlp: activation is null");
    this.act = act;
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

  /** down(act(up(x))) on n vectors; the hidden buffer (n, d_ff) is the workspace's. */
  @Override
  public void step(float[] x, float[] y, int n, boolean accumulate, Workspace ws) {
    int dff = upProj.outFeatures();
    float[] h = ws.floats(this, 0, n * dff);
    upProj.step(x, h, n, false, ws); //          up(x)
    if (n > 1) { //                              act(up(x)), several rows split over the threads
      Parallel.forRange(n, 1, (from, to) -> act.applyInPlace(h, from * dff, (to - from) * dff));
    } else {
      act.applyInPlace(h, dff);
    }
    downProj.step(h, y, n, accumulate, ws); //   down(act(up(x)))
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
