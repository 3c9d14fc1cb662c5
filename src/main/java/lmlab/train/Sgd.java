package lmlab.train;

import java.util.LinkedHashMap;
import java.util.Map;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;
import lmlab.kernels.Parallel;
import lmlab.tensor.Tensor;

/**
 * Stochastic gradient descent with momentum, PyTorch's semantics (torch.optim.SGD, dampening 0,
 * not Nesterov). At step t with gradient g:
 *
 * <pre>
 *   d = g + λ·p                  L2 weight decay (coupled: it goes through the momentum)
 *   b = d            if t = 1    momentum_buffer, started at the first gradient
 *   b = μ·b + d      if t > 1
 *   p ← p − lr·b                 (p ← p − lr·d when μ = 0: no buffer is kept)
 * </pre>
 */
public final class Sgd extends SlotOptimizer {
  private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
  private static final int GRAIN = 1 << 16;

  private final float[][] buf;
  private final double momentum, weightDecay;

  public Sgd(Map<String, Tensor> parameters, double lr, double momentum, double weightDecay) {
    if (!(lr >= 0)) throw new IllegalArgumentException("SGD: lr must be >= 0, got " + lr);
    if (!(momentum >= 0)) throw new IllegalArgumentException("SGD: momentum must be >= 0, got " + momentum);
    if (!(weightDecay >= 0)) throw new IllegalArgumentException("SGD: weight_decay must be >= 0, got " + weightDecay);
    super(momentum > 0 ? new ParameterSlots(parameters, "momentum_buffer") : new ParameterSlots(parameters), lr);
    this.buf = momentum > 0 ? slots.buffers.get("momentum_buffer") : null;
    this.momentum = momentum;
    this.weightDecay = weightDecay;
  }

  @Override
  public String name() {
    return "sgd";
  }

  @Override
  public void step() {
    t++;
    boolean first = t == 1;
    float mu = (float) momentum, rate = (float) lr;
    for (int i = 0; i < slots.size(); i++) {
      Tensor p = slots.params.get(i);
      Tensor grad = p.grad();
      if (grad == null) continue;
      if (!grad.isContiguous()) grad = grad.contiguous();
      float[] pd = p.storage(), gd = grad.storage(), bd = buf == null ? null : buf[i];
      int po = p.offset(), go = grad.offset();
      float wd = slots.decayed[i] ? (float) weightDecay : 0f;
      Parallel.forRange(p.numel(), GRAIN, (from, to) -> update(pd, po, gd, go, bd, from, to, first, mu, wd, rate));
    }
  }

  private static void update(float[] p, int po, float[] g, int go, float[] b, int from, int to, boolean first,
      float mu, float wd, float lr) {
    int i = from;
    int upper = from + S.loopBound(to - from);
    for (; i < upper; i += S.length()) {
      FloatVector pv = FloatVector.fromArray(S, p, po + i);
      FloatVector d = FloatVector.fromArray(S, g, go + i).add(pv.mul(wd));
      if (b != null) {
        d = first ? d : FloatVector.fromArray(S, b, i).mul(mu).add(d);
        d.intoArray(b, i);
      }
      pv.sub(d.mul(lr)).intoArray(p, po + i);
    }
    for (; i < to; i++) {
      float d = g[go + i] + wd * p[po + i];
      if (b != null) {
        d = first ? d : mu * b[i] + d;
        b[i] = d;
      }
      p[po + i] -= lr * d;
    }
  }

  /** The momentum buffer of a parameter (live), null without momentum. */
  public float[] momentumBuffer(String parameter) {
    return buf == null ? null : buf[slots.names.indexOf(parameter)];
  }

  @Override
  public Map<String, String> stateMetadata() {
    Map<String, String> meta = new LinkedHashMap<>();
    meta.put("optimizer", name());
    meta.put("step", Long.toString(t));
    meta.put("lr", Double.toString(lr));
    meta.put("momentum", Double.toString(momentum));
    meta.put("weight_decay", Double.toString(weightDecay));
    return meta;
  }
}
