package lmlab.train;

import java.util.LinkedHashMap;
import java.util.Map;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;
import lmlab.kernels.Parallel;
import lmlab.tensor.Tensor;

/**
 * AdamW with PyTorch's semantics (torch.optim.AdamW, amsgrad off; Loshchilov and Hutter 2019). At
 * step t = 1, 2, ... with gradient g, for every parameter p:
 *
 * <pre>
 *   p ← p − lr·λ·p                         decoupled weight decay, before the Adam update
 *   m ← β1·m + (1 − β1)·g                  exp_avg
 *   v ← β2·v + (1 − β2)·g²                 exp_avg_sq
 *   m̂ = m / (1 − β1^t),  v̂ = v / (1 − β2^t)
 *   p ← p − lr · m̂ / (√v̂ + ε)              ε added to √v̂, not inside the root
 * </pre>
 *
 * computed as PyTorch does: step_size = lr / (1 − β1^t), denom = √v / √(1 − β2^t) + ε. Each
 * parameter is updated in one fused Vector-API pass over (p, g, m, v); large tensors are split
 * across the worker threads (elementwise, so the result does not depend on the split).
 */
public final class AdamW extends SlotOptimizer {
  private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
  /** Elements per parallel chunk: below this a tensor is updated on the calling thread. */
  private static final int GRAIN = 1 << 16;

  private final float[][] m;
  private final float[][] v;
  private final double beta1, beta2, eps, weightDecay;

  /** PyTorch's defaults: betas (0.9, 0.999), eps 1e-8. */
  public AdamW(Map<String, Tensor> parameters, double lr, double weightDecay) {
    this(parameters, lr, 0.9, 0.999, 1e-8, weightDecay);
  }

  public AdamW(Map<String, Tensor> parameters, double lr, double beta1, double beta2, double eps, double weightDecay) {
    if (!(lr >= 0)) throw new IllegalArgumentException("AdamW: lr must be >= 0, got " + lr);
    if (!(beta1 >= 0 && beta1 < 1)) throw new IllegalArgumentException("AdamW: beta1 must be in [0, 1), got " + beta1);
    if (!(beta2 >= 0 && beta2 < 1)) throw new IllegalArgumentException("AdamW: beta2 must be in [0, 1), got " + beta2);
    if (!(eps >= 0)) throw new IllegalArgumentException("AdamW: eps must be >= 0, got " + eps);
    if (!(weightDecay >= 0)) throw new IllegalArgumentException("AdamW: weight_decay must be >= 0, got " + weightDecay);
    super(new ParameterSlots(parameters, "exp_avg", "exp_avg_sq"), lr);
    this.m = slots.buffers.get("exp_avg");
    this.v = slots.buffers.get("exp_avg_sq");
    this.beta1 = beta1;
    this.beta2 = beta2;
    this.eps = eps;
    this.weightDecay = weightDecay;
  }

  @Override
  public String name() {
    return "adamw";
  }

  @Override
  public void step() {
    t++;
    double bc1 = 1 - StrictMath.pow(beta1, t);
    double bc2 = 1 - StrictMath.pow(beta2, t);
    float decayAll = (float) (1 - lr * weightDecay); // p·(1 − lr·λ)
    float b1 = (float) beta1, c1 = (float) (1 - beta1);
    float b2 = (float) beta2, c2 = (float) (1 - beta2);
    float stepSize = (float) (lr / bc1);
    float invBc2Sqrt = (float) (1 / Math.sqrt(bc2));
    float e = (float) eps;
    for (int i = 0; i < slots.size(); i++) {
      Tensor p = slots.params.get(i);
      Tensor grad = p.grad();
      if (grad == null) continue; // PyTorch skips parameters without a gradient
      if (!grad.isContiguous()) grad = grad.contiguous();
      float[] pd = p.storage(), gd = grad.storage(), md = m[i], vd = v[i];
      int po = p.offset(), go = grad.offset();
      int n = md.length;
      float decay = slots.decayed[i] ? decayAll : 1f;
      Parallel.forRange(n, GRAIN, (from, to) ->
          update(pd, po, gd, go, md, vd, from, to, decay, b1, c1, b2, c2, stepSize, invBc2Sqrt, e));
    }
  }

  private static void update(float[] p, int po, float[] g, int go, float[] m, float[] v, int from, int to,
      float decay, float b1, float c1, float b2, float c2, float stepSize, float invBc2Sqrt, float eps) {
    int i = from;
    int upper = from + S.loopBound(to - from);
    for (; i < upper; i += S.length()) {
      FloatVector gv = FloatVector.fromArray(S, g, go + i);
      FloatVector mv = FloatVector.fromArray(S, m, i).mul(b1).add(gv.mul(c1));
      FloatVector vv = FloatVector.fromArray(S, v, i).mul(b2).add(gv.mul(gv).mul(c2));
      FloatVector denom = vv.lanewise(VectorOperators.SQRT).mul(invBc2Sqrt).add(eps);
      FloatVector pv = FloatVector.fromArray(S, p, po + i).mul(decay);
      pv = pv.sub(mv.div(denom).mul(stepSize));
      mv.intoArray(m, i);
      vv.intoArray(v, i);
      pv.intoArray(p, po + i);
    }
    for (; i < to; i++) {
      float gi = g[go + i];
      float mi = m[i] * b1 + gi * c1;
      float vi = v[i] * b2 + gi * gi * c2;
      float denom = (float) Math.sqrt(vi) * invBc2Sqrt + eps;
      m[i] = mi;
      v[i] = vi;
      p[po + i] = p[po + i] * decay - mi / denom * stepSize;
    }
  }

  /** The first moment m of a parameter (live, not a copy). */
  public float[] expAvg(String parameter) {
    return m[slots.names.indexOf(parameter)];
  }

  /** The second moment v of a parameter (live, not a copy). */
  public float[] expAvgSq(String parameter) {
    return v[slots.names.indexOf(parameter)];
  }

  @Override
  public Map<String, String> stateMetadata() {
    Map<String, String> meta = new LinkedHashMap<>();
    meta.put("optimizer", name());
    meta.put("step", Long.toString(t));
    meta.put("lr", Double.toString(lr));
    meta.put("beta1", Double.toString(beta1));
    meta.put("beta2", Double.toString(beta2));
    meta.put("eps", Double.toString(eps));
    meta.put("weight_decay", Double.toString(weightDecay));
    return meta;
  }
}
