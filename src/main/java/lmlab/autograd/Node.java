package lmlab.autograd;

import lmlab.tensor.Tensor;

/**
 * One recorded operation of the define-by-run graph: the inputs it read and the rule that turns
 * dL/d(output) into dL/d(input) for each input.
 *
 * <p>A backward rule returns one gradient per input (null where an input needs none). A gradient
 * may have the broadcast shape of the output: the engine sums it down to the input's shape, so
 * every op's rule can be written as the textbook formula.
 */
public final class Node {
  /** The backward rule of one op: given dL/d(output), the gradients w.r.t. each input. */
  @FunctionalInterface
  public interface Backward {
    Tensor[] apply(Tensor gradOutput);
  }

  private final String op;
  private Tensor[] inputs;
  private Backward rule;

  Node(String op, Tensor[] inputs, Backward rule) {
    this.op = op;
    this.inputs = inputs;
    this.rule = rule;
  }

  /** Name of the op that created this node, e.g. "matmul". */
  public String op() {
    return op;
  }

  Tensor[] inputs() {
    return inputs;
  }

  boolean released() {
    return rule == null;
  }

  Tensor[] apply(Tensor gradOutput) {
    if (rule == null) {
      throw new IllegalStateException(
          "backward through '" + op + "' a second time: the graph is released after backward()");
    }
    return rule.apply(gradOutput);
  }

  /** Drops the saved tensors so a finished step's graph can be collected. */
  void release() {
    inputs = null;
    rule = null;
  }
}
