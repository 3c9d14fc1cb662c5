package lmlab.lab.arith;

import lmlab.tensor.IntTensor;
import lmlab.train.Task;

/**
 * B arithmetic sequences ready for a model: inputs X = seq[:-1] (B, S), targets Y = seq[1:]
 * (B, S), eq_position (B,) (the index of '=' in Y), mask (B, S) (1 where Y is not PAD), and each
 * sequence's order (B,) (2 or 3).
 */
public record ArithmeticBatch(IntTensor inputs, IntTensor targets, IntTensor eqPosition, IntTensor mask, IntTensor order)
    implements Task.Batch {
  @Override
  public int size() {
    return inputs.size(0);
  }

  /** S, the model's input length. */
  public int length() {
    return inputs.size(1);
  }
}
