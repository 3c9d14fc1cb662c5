package lmlab.nn.lora;

import lmlab.nn.Init;
import lmlab.nn.Linear;
import lmlab.nn.Workspace;
import lmlab.nn.weights.FloatWeights;
import lmlab.nn.weights.MatVec;
import lmlab.nn.weights.Weights;
import lmlab.tensor.Rng;
import lmlab.tensor.Tensor;

/**
 * A Linear with a low-rank adapter (Hu et al. 2021, "LoRA"; PEFT's {@code lora.Linear}):
 * <pre>
 *   y = x Wᵀ + b + s · (drop(x) Aᵀ) Bᵀ        A (r, in), B (out, r), s = alpha / r (or alpha / √r)
 * </pre>
 * W and b are the base layer's, frozen (no gradient, no optimizer state); A and B are the only
 * trainable tensors, registered as the children {@code lora_A} and {@code lora_B}, so the state
 * dict names are PEFT's ({@code <path>.lora_A.weight}). Dropout (inverted, 1/(1-p)) applies to the
 * adapter's input only, with its own generator, so two adapted modules reading the same x draw
 * different masks.
 *
 * <p>Gradients (autograd through the two products), with G = dL/dy and X_d = drop(x):
 * dL/dB = s·Gᵀ(X_d Aᵀ), dL/dA = s·(G B)ᵀ X_d, dL/dx = G W + s·((G B) A) ⊙ keep / (1 - p).
 *
 * <p>PEFT init: A ~ U(-1/√in, 1/√in) (kaiming_uniform with a = √5), B = 0, so the adapted model
 * starts as the base model. The base may be any weight format (float32, quantised: QLoRA).
 * Decoding multiplies with {@link LoraWeights}, the base plus the adapter in one weight type.
 */
public class LoraLinear extends Linear {
  private final Linear loraA;
  private final Linear loraB;
  private final LoraWeights adapted;
  private final float scaling;
  private final float dropout;
  private final Rng dropoutRng;

  /**
   * Wraps base (its weight storage and bias, now frozen) with a fresh adapter of config's rank,
   * A drawn from rng (zeros when rng is null, for loading), B zero; dropout draws from dropoutRng.
   */
  public LoraLinear(Linear base, LoraConfig config, Rng rng, Rng dropoutRng) {
    super(base.weights(), base.bias());
    if (base instanceof LoraLinear) throw new IllegalArgumentException("LoraLinear: the base is already adapted");
    int in = base.inFeatures();
    int out = base.outFeatures();
    int r = config.rank();
    if (weight() != null) weight().requiresGrad(false);
    if (bias() != null) bias().requiresGrad(false);
    this.loraA = child("lora_A", new Linear(Init.uniform(rng, (float) (1 / Math.sqrt(in)), r, in), null));
    this.loraB = child("lora_B", new Linear(Tensor.zeros(out, r), null));
    this.scaling = config.scaling();
    this.dropout = (float) config.dropout();
    this.dropoutRng = dropoutRng;
    if (dropout > 0 && dropoutRng == null) throw new IllegalArgumentException("LoraLinear: dropout needs a generator");
    this.adapted = new LoraWeights(base.weights(), loraA.weight(), loraB.weight(), scaling);
    train(base.isTraining()); // the mode of the layer it replaces
  }

  /** y = x Wᵀ + b + s · lora_B(lora_A(drop(x))); the base alone once merged. */
  @Override
  public Tensor forward(Tensor x) {
    Tensor y = super.forward(x); //                                              x Wᵀ + b
    if (adapted.merged()) return y;
    Tensor xd = x.dropout(dropout, dropoutRng, isTraining()); //                 drop(x)
    return y.add(loraB.forward(loraA.forward(xd)).mul(scaling)); //              + s (X_d Aᵀ) Bᵀ
  }

  /**
   * The forward with the adapter reading xDropped in place of drop(x) (a given mask, as the
   * dropout fixture's): y = x Wᵀ + b + s · (xDropped Aᵀ) Bᵀ.
   */
  public Tensor forward(Tensor x, Tensor xDropped) {
    Tensor y = super.forward(x);
    return y.add(loraB.forward(loraA.forward(xDropped)).mul(scaling));
  }

  /** One vector through the grouped matrix-vector kernels (via {@link #product}), several through {@link LoraWeights#matmul}. */
  @Override
  public void step(float[] x, float[] y, int n, boolean accumulate, Workspace ws) {
    if (n == 1) super.step(x, y, n, accumulate, ws);
    else adapted.matmul(x, n, biasStorage(), biasOffset(), y, accumulate);
  }

  /** The product of the base and the adapter ({@link LoraWeights}), so a product group includes the adapter. */
  @Override
  public MatVec.Product product(float[] y, boolean accumulate) {
    return new MatVec.Product(adapted, biasStorage(), biasOffset(), y, accumulate);
  }

  /** W ← W + s·B A: the layer then computes x W'ᵀ + b with no branch (float32 base only). */
  public void merge() {
    if (adapted.merged()) throw new IllegalStateException("LoraLinear: already merged");
    addDelta(1f);
    adapted.merged(true);
  }

  /** W ← W - s·B A, restoring W up to float32 rounding (as PEFT). */
  public void unmerge() {
    if (!adapted.merged()) throw new IllegalStateException("LoraLinear: not merged");
    addDelta(-1f);
    adapted.merged(false);
  }

  public boolean isMerged() {
    return adapted.merged();
  }

  private void addDelta(float sign) {
    if (weight() == null) {
      throw new IllegalStateException("LoraLinear: a quantised base cannot be merged in place; use mergedLinear()");
    }
    float[] d = adapted.delta();
    Tensor w = weight();
    float[] wv = w.storage();
    int wo = w.offset();
    for (int i = 0; i < d.length; i++) wv[wo + i] += sign * d[i];
  }

  /**
   * A plain Linear computing what this layer computes in inference: dense float32 weights
   * W + s·B A (a quantised base dequantised first, and not re-quantised) and the same bias.
   */
  public Linear mergedLinear() {
    float[] w = adapted.dense();
    Tensor bias = bias() == null ? null : bias().copy().detach();
    return new Linear(new FloatWeights(Tensor.of(w, outFeatures(), inFeatures())), bias);
  }

  /** The weight storage with the adapter, as decoding multiplies with it. */
  public Weights adapted() {
    return adapted;
  }

  public Tensor loraA() {
    return loraA.weight();
  }

  public Tensor loraB() {
    return loraB.weight();
  }

  public int rank() {
    return loraA.weight().size(0);
  }

  public float scaling() {
    return scaling;
  }
}
