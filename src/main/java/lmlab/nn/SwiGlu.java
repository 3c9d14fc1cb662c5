package lmlab.nn;

import lmlab.nn.weights.ProductGroup;

import lmlab.tensor.ActivationKernels;
import lmlab.tensor.Rng;
import lmlab.tensor.Tensor;

/**
 * SwiGLU feed-forward (Llama/Qwen2): {@code down_proj(silu(gate_proj(x)) * up_proj(x))},
 * gate_proj and up_proj Linear(d, d_ff), down_proj Linear(d_ff, d). Registered in the order
 * gate_proj, up_proj, down_proj (Hugging Face's).
 */
public final class SwiGlu extends FeedForward {
  private final Linear gateProj;
  private final Linear upProj;
  private final Linear downProj;

  public SwiGlu(int d, int dFf, boolean bias, Rng rng) {
    if (d < 1 || dFf < 1) throw new IllegalArgumentException("SwiGlu(d " + d + ", d_ff " + dFf + "): sizes must be >= 1");
    this.gateProj = child("gate_proj", new Linear(d, dFf, bias, rng));
    this.upProj = child("up_proj", new Linear(d, dFf, bias, rng));
    this.downProj = child("down_proj", new Linear(dFf, d, bias, rng));
  }

  @Override
  public Tensor forward(Tensor x) {
    return downProj.forward(gateProj.forward(x).silu().mul(upProj.forward(x))); // down(silu(gate(x)) ⊙ up(x))
  }

  /**
   * down(silu(gate(x)) ⊙ up(x)) on n vectors; gate and up of one vector run as one group of
   * matrix-vector products (one wake-up of the helper thread).
   */
  @Override
  public void step(float[] x, float[] y, int n, boolean accumulate, Workspace ws) {
    int dff = upProj.outFeatures();
    float[] g = ws.floats(this, 0, n * dff);
    float[] u = ws.floats(this, 1, n * dff);
    if (n == 1) {
      ProductGroup gu = ws.group(this, 2, g);
      if (gu == null || gu.output(1) != u) {
        gu = ws.keep(this, 2, ProductGroup.of(gateProj.product(g, false), upProj.product(u, false)));
      }
      gu.run(x); //                                  gate(x), up(x)
    } else {
      gateProj.step(x, g, n, false, ws);
      upProj.step(x, u, n, false, ws);
    }
    ActivationKernels.siluGate(g, u, n * dff); //     silu(gate(x)) ⊙ up(x)
    downProj.step(u, y, n, accumulate, ws); //       down(..)
  }

  @Override
  public int dim() {
    return upProj.inFeatures();
  }

  @Override
  public int hiddenDim() {
    return upProj.outFeatures();
  }

  public Linear gateProj() {
    return gateProj;
  }

  public Linear upProj() {
    return upProj;
  }

  public Linear downProj() {
    return downProj;
  }
}
