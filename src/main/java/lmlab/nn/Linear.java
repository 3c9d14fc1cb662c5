package lmlab.nn;

import java.lang.reflect.Method;
import lmlab.nn.weights.FloatWeights;
import lmlab.nn.weights.MatVec;
import lmlab.nn.weights.ProductGroup;
import lmlab.nn.weights.Weights;
import lmlab.tensor.ProductProbe;
import lmlab.tensor.Rng;
import lmlab.tensor.Tensor;

/**
 * y = x Wᵀ + b with W stored (out, in) and b (out,), the PyTorch layout, so state dicts map one
 * to one. Initialised like PyTorch: U(-1/√in, 1/√in) for both.
 *
 * <p>W is read through its {@link Weights} type, whose kernels serve both paths: {@link #forward}
 * (autograd) and {@link #step} (no autograd: the matrix-vector rows for one input vector, a
 * matrix-matrix product for several). A subclass that changes what the layer computes (an adapter
 * such as LoRA) overrides {@link #forward} and {@link #product}/{@link #step} together;
 * {@link #checkSteps()} refuses one that overrides forward alone, so its decoding can never
 * silently skip it.
 */
public class Linear extends Layer {
  private final Tensor weight;
  private final Tensor bias;
  private final Weights weights;
  private final int in;
  private final int out;

  public Linear(int in, int out, boolean bias, Rng rng) {
    if (in < 1 || out < 1) {
      throw new IllegalArgumentException("Linear(" + in + ", " + out + "): sizes must be >= 1");
    }
    this.in = in;
    this.out = out;
    float bound = (float) (1 / Math.sqrt(in));
    this.weight = parameter("weight", Init.uniform(rng, bound, out, in));
    this.bias = bias ? parameter("bias", Init.uniform(rng, bound, out)) : null;
    this.weights = new FloatWeights(weight);
  }

  /**
   * A layer around existing tensors: weight (out, in) and bias (out,) or null are registered as its
   * parameters as they are, so a tensor shared with another module is tied (an lm_head tied to
   * the token embedding: {@code new Linear(embedding.weight(), null)}).
   */
  public Linear(Tensor weight, Tensor bias) {
    if (weight == null || weight.dim() != 2) {
      throw new IllegalArgumentException("Linear: weight must be a matrix (out, in), got "
          + (weight == null ? "null" : lmlab.tensor.Shape.str(weight.shape())));
    }
    this.out = weight.size(0);
    this.in = weight.size(1);
    if (bias != null && (bias.dim() != 1 || bias.size(0) != out)) {
      throw new IllegalArgumentException("Linear: bias must have shape (" + out + "), got " + lmlab.tensor.Shape.str(bias.shape()));
    }
    this.weight = parameter("weight", weight);
    this.bias = bias == null ? null : parameter("bias", bias);
    this.weights = new FloatWeights(weight);
  }

  /**
   * A layer over a weight storage of any format ({@link Weights}) and a bias (out,) or null. A
   * {@link FloatWeights} registers its tensor as the parameter {@code weight}, as the other
   * constructors; another format (quantised codes) is frozen storage with no float32 tensor, so the
   * layer has no {@code weight} parameter and {@link #weight()} is null.
   */
  public Linear(Weights weights, Tensor bias) {
    if (weights == null) throw new IllegalArgumentException("Linear: weights are null");
    this.out = weights.rows();
    this.in = weights.cols();
    if (bias != null && (bias.dim() != 1 || bias.size(0) != out)) {
      throw new IllegalArgumentException("Linear: bias must have shape (" + out + "), got " + lmlab.tensor.Shape.str(bias.shape()));
    }
    this.weight = weights instanceof FloatWeights f ? parameter("weight", f.tensor()) : null;
    this.bias = bias == null ? null : parameter("bias", bias);
    this.weights = weights;
  }

  @Override
  public Tensor forward(Tensor x) {
    if (x.dim() == 0 || x.size(-1) != in) {
      throw new IllegalArgumentException(
          "Linear(" + in + ", " + out + "): input's last dimension must be " + in + ", got shape "
              + lmlab.tensor.Shape.str(x.shape()));
    }
    return ModuleTrace.traced(this, () -> weights.linear(x, bias)); // x Wᵀ + b
  }

  /**
   * y (n, out) (+)= x (n, in) Wᵀ + b without autograd: one vector on the matrix-vector kernels
   * (a product group cached in ws, so a step allocates nothing), several as one matrix-matrix
   * product.
   */
  @Override
  public void step(float[] x, float[] y, int n, boolean accumulate, Workspace ws) {
    probe(n);
    if (n == 1) {
      ProductGroup g = ws.group(this, accumulate ? 1 : 0, y);
      if (g == null) g = ws.keep(this, accumulate ? 1 : 0, ProductGroup.of(product(y, accumulate)));
      g.run(x);
    } else {
      weights.matmul(x, n, biasStorage(), biasOffset(), y, accumulate);
    }
  }

  /** Reports this layer's product of n rows to the analyser's probe, if one listens (off: one read). */
  void probe(int n) {
    if (ProductProbe.active()) ProductProbe.report("linear", 1, n, in, out, weight);
  }

  /**
   * This layer's matrix-vector product into y (stored, or added with accumulate), for grouping
   * with other products of the same input ({@link ProductGroup}).
   */
  public MatVec.Product product(float[] y, boolean accumulate) {
    return new MatVec.Product(weights, biasStorage(), biasOffset(), y, accumulate);
  }

  protected final float[] biasStorage() {
    return bias == null ? null : bias.contiguous().storage();
  }

  protected final int biasOffset() {
    return bias == null ? 0 : bias.contiguous().offset();
  }

  /**
   * Refuses a subclass that overrides {@link #forward} but neither {@link #step} nor
   * {@link #product}: its decoding would compute the base layer, not what it trains.
   */
  public void checkSteps() {
    if (getClass() == Linear.class) return;
    boolean fwd = declaredBelowLinear("forward", Tensor.class);
    boolean stp = declaredBelowLinear("step", float[].class, float[].class, int.class, boolean.class, Workspace.class)
        && declaredBelowLinear("product", float[].class, boolean.class);
    if (fwd && !stp) {
      throw new IllegalStateException(getClass().getName() + " overrides Linear.forward but not step and product:"
          + " decoding would skip what it adds");
    }
  }

  private boolean declaredBelowLinear(String name, Class<?>... args) {
    try {
      Method m = getClass().getMethod(name, args);
      return m.getDeclaringClass() != Linear.class;
    } catch (NoSuchMethodException e) {
      throw new IllegalStateException(e);
    }
  }

  /** The float32 weight parameter, or null when the weights are stored in another format (quantised). */
  public Tensor weight() {
    return weight;
  }

  /** The bias, or null when the layer has none. */
  public Tensor bias() {
    return bias;
  }

  /** The weight storage and its kernels. */
  public Weights weights() {
    return weights;
  }

  public int inFeatures() {
    return in;
  }

  public int outFeatures() {
    return out;
  }
}
