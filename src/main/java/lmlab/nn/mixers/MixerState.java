package lmlab.nn.mixers;

import java.util.List;
import lmlab.tensor.IntTensor;
import lmlab.tensor.Tensor;

/**
 * The decoding state of one linear-time mixer layer for a batch of rows: a fixed number of
 * tensors whose first dimension is the row, zero before the first token, and whose size does not
 * depend on how many tokens were read (mixers.md, "Forms and the state").
 *
 * <p>A recurrent state cannot be cut back to an earlier length: the tokens are folded into it.
 * Decoding that needs to go back keeps a {@link #fork()} from that point.
 */
public interface MixerState {
  /** The state's tensors, each (B, ...). */
  List<Tensor> tensors();

  /** A state of the same kind over the given tensors. */
  MixerState with(List<Tensor> tensors);

  /** Batch rows held. */
  default int rows() {
    return tensors().get(0).size(0);
  }

  /** Elements held for all rows (float32: 4 bytes each). */
  default long elements() {
    long n = 0;
    for (Tensor t : tensors()) n += t.numel();
    return n;
  }

  /** Bytes held, float32. */
  default long bytes() {
    return 4 * elements();
  }

  /** An independent copy, cut from any graph. */
  default MixerState fork() {
    return with(tensors().stream().map(Tensor::copy).toList());
  }

  /** The rows in the given order (rows may repeat or be dropped: beam search, finished rows). */
  default MixerState reorder(int[] rows) {
    IntTensor index = IntTensor.of(rows, rows.length);
    return with(tensors().stream().map(t -> t.detach().indexSelect(0, index).contiguous()).toList());
  }
}
