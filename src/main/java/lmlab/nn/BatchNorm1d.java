package lmlab.nn;

import lmlab.tensor.Shape;
import lmlab.tensor.Tensor;

/**
 * BatchNorm1d(C) as PyTorch: input (N, C) or (N, C, L), statistics per channel c over the batch
 * (and length) axes.
 *
 * <pre>
 *   train: y = (x - mean_B) / sqrt(var_B + eps) * weight + bias       var_B biased (divide by n)
 *          running_mean = (1 - momentum)·running_mean + momentum·mean_B
 *          running_var  = (1 - momentum)·running_var  + momentum·var_B·n/(n - 1)   (unbiased)
 *   eval:  y = (x - running_mean) / sqrt(running_var + eps) * weight + bias
 * </pre>
 *
 * n = N (or N·L) elements per channel. weight = 1, bias = 0 (when affine), running_mean = 0,
 * running_var = 1 at init; running_mean and running_var are buffers (in the state dict).
 */
public final class BatchNorm1d extends Layer {
  public static final double DEFAULT_EPS = 1e-5;
  public static final double DEFAULT_MOMENTUM = 0.1;

  private final int channels;
  private final float eps;
  private final float momentum;
  private final Tensor weight;
  private final Tensor bias;
  private long batchesTracked;

  public BatchNorm1d(int channels) {
    this(channels, DEFAULT_EPS, DEFAULT_MOMENTUM, true);
  }

  public BatchNorm1d(int channels, double eps, double momentum, boolean affine) {
    if (channels < 1) throw new IllegalArgumentException("BatchNorm1d(" + channels + "): channels must be >= 1");
    if (!(eps >= 0)) throw new IllegalArgumentException("BatchNorm1d: eps must be >= 0, got " + eps);
    if (!(momentum >= 0 && momentum <= 1)) {
      throw new IllegalArgumentException("BatchNorm1d: momentum must be in [0, 1], got " + momentum);
    }
    this.channels = channels;
    this.eps = (float) eps;
    this.momentum = (float) momentum;
    this.weight = affine ? parameter("weight", Tensor.ones(channels)) : null;
    this.bias = affine ? parameter("bias", Tensor.zeros(channels)) : null;
    buffer("running_mean", Tensor.zeros(channels));
    buffer("running_var", Tensor.ones(channels));
  }

  @Override
  public Tensor forward(Tensor x) {
    if ((x.dim() != 2 && x.dim() != 3) || x.size(1) != channels) {
      throw new IllegalArgumentException("BatchNorm1d(" + channels + "): input must be (N, " + channels + ") or (N, "
          + channels + ", L), got shape " + Shape.str(x.shape()));
    }
    int[] reduce = x.dim() == 2 ? new int[] {0} : new int[] {0, 2};
    int[] bshape = x.dim() == 2 ? new int[] {1, channels} : new int[] {1, channels, 1}; // broadcast (C,) over x
    Tensor mean;
    Tensor var;
    if (isTraining()) {
      int n = x.numel() / channels;
      if (n < 2) {
        throw new IllegalArgumentException("BatchNorm1d: training needs more than one value per channel, got input shape "
            + Shape.str(x.shape()));
      }
      mean = x.mean(reduce, true); //        mean_B per channel
      var = x.var(reduce, true, false); //   var_B, biased
      Tensor m = mean.detach().reshape(channels);
      Tensor v = var.detach().reshape(channels).mul((float) n / (n - 1)); // unbiased for the running estimate
      setBuffer("running_mean", runningMean().mul(1 - momentum).add(m.mul(momentum)).detach());
      setBuffer("running_var", runningVar().mul(1 - momentum).add(v.mul(momentum)).detach());
      batchesTracked++;
    } else {
      mean = runningMean().reshape(bshape);
      var = runningVar().reshape(bshape);
    }
    Tensor y = x.sub(mean).div(var.add(eps).sqrt()); // (x - mean) / sqrt(var + eps)
    if (weight != null) y = y.mul(weight.reshape(bshape)).add(bias.reshape(bshape)); // · weight + bias
    return y;
  }

  public Tensor runningMean() {
    return ownBuffers().get("running_mean");
  }

  public Tensor runningVar() {
    return ownBuffers().get("running_var");
  }

  /** Training-mode forward passes so far (PyTorch's num_batches_tracked; not stored in the state dict). */
  public long batchesTracked() {
    return batchesTracked;
  }

  public int channels() {
    return channels;
  }

  /** weight, or null when not affine. */
  public Tensor weight() {
    return weight;
  }

  /** bias, or null when not affine. */
  public Tensor bias() {
    return bias;
  }
}
