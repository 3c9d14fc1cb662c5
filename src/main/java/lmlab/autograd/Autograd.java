package lmlab.autograd;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import lmlab.tensor.Shape;
import lmlab.tensor.Tensor;

/**
 * The reverse-mode engine: records ops while enabled, and runs {@link #backward} from a root.
 *
 * <p>Recording is on by default and off inside {@link #noGrad()} (per thread). Backward visits the
 * graph in reverse topological order, sums each tensor's incoming gradients, accumulates into leaf
 * tensors' {@code grad}, and releases every visited node so memory does not grow across steps.
 */
public final class Autograd {
  private static final ThreadLocal<int[]> NO_GRAD_DEPTH = ThreadLocal.withInitial(() -> new int[1]);

  private Autograd() {}

  /** A scope in which no op is recorded. Use with try-with-resources. */
  public static final class NoGradScope implements AutoCloseable {
    private boolean closed;

    private NoGradScope() {
      NO_GRAD_DEPTH.get()[0]++;
    }

    @Override
    public void close() {
      if (!closed) {
        closed = true;
        NO_GRAD_DEPTH.get()[0]--;
      }
    }
  }

  /** {@code try (var g = Autograd.noGrad()) { ... }}: nothing inside is recorded. */
  public static NoGradScope noGrad() {
    return new NoGradScope();
  }

  /** Whether ops on this thread are being recorded. */
  public static boolean isRecording() {
    return NO_GRAD_DEPTH.get()[0] == 0;
  }

  /** Whether an op over these inputs must be recorded. */
  public static boolean needsGrad(Tensor... inputs) {
    if (!isRecording()) return false;
    for (Tensor t : inputs) if (t != null && t.requiresGrad()) return true;
    return false;
  }

  /**
   * Records {@code out = op(inputs)} with its backward rule, when any input requires grad and
   * recording is on. Returns out.
   */
  public static Tensor record(String op, Tensor out, Node.Backward rule, Tensor... inputs) {
    if (needsGrad(inputs)) out.setGradFn(new Node(op, inputs, rule));
    return out;
  }

  /** Backward from a scalar root (dL/dL = 1). */
  public static void backward(Tensor root) {
    if (root.numel() != 1) {
      throw new IllegalArgumentException(
          "backward() without a gradient needs a scalar (one element), got shape "
              + Shape.str(root.shape()) + "; pass the upstream gradient instead");
    }
    backward(root, Tensor.full(root.shape(), 1f));
  }

  /** Backward from root with upstream gradient dL/d(root). */
  public static void backward(Tensor root, Tensor gradRoot) {
    if (!root.requiresGrad()) {
      throw new IllegalStateException(
          "backward(): the tensor does not require grad and has no graph (was it made under noGrad,"
              + " or from tensors without requiresGrad?)");
    }
    if (!Shape.same(root.shape(), gradRoot.shape())) {
      throw new IllegalArgumentException(
          "backward(): gradient shape " + Shape.str(gradRoot.shape()) + " does not match tensor shape "
              + Shape.str(root.shape()));
    }
    try (var g = noGrad()) {
      List<Tensor> order = topologicalOrder(root);
      Map<Tensor, Tensor> grads = new IdentityHashMap<>();
      grads.put(root, gradRoot);
      for (Tensor t : order) {
        Tensor grad = grads.remove(t);
        Node node = t.gradFn();
        if (node == null) { // a leaf
          if (grad != null) t.accumulateGrad(grad);
          continue;
        }
        if (grad != null) {
          Tensor[] inputs = node.inputs();
          Tensor[] inGrads = node.apply(grad);
          for (int i = 0; i < inputs.length; i++) {
            Tensor in = inputs[i];
            Tensor gi = inGrads[i];
            if (in == null || gi == null || !in.requiresGrad()) continue;
            gi = sumToShape(gi, in.shape());
            Tensor prev = grads.get(in);
            grads.put(in, prev == null ? gi : prev.add(gi));
          }
        }
        node.release();
      }
    }
  }

  /** Sums a broadcast gradient back down to the shape of the input it belongs to. */
  public static Tensor sumToShape(Tensor g, int[] shape) {
    int[] gs = g.shape();
    if (Shape.same(gs, shape)) return g;
    int lead = gs.length - shape.length;
    if (lead < 0) {
      throw new IllegalStateException(
          "gradient of shape " + Shape.str(gs) + " cannot belong to an input of shape " + Shape.str(shape));
    }
    List<Integer> dims = new ArrayList<>();
    for (int i = 0; i < gs.length; i++) {
      if (i < lead || (shape[i - lead] == 1 && gs[i] != 1)) dims.add(i);
    }
    int[] d = dims.stream().mapToInt(Integer::intValue).toArray();
    Tensor s = d.length == 0 ? g : g.sum(d, true);
    return s.reshape(shape);
  }

  /** Tensors reachable from root, each after every tensor that uses it (root first). */
  private static List<Tensor> topologicalOrder(Tensor root) {
    List<Tensor> post = new ArrayList<>();
    Map<Tensor, Boolean> seen = new IdentityHashMap<>();
    ArrayDeque<Object[]> stack = new ArrayDeque<>();
    stack.push(new Object[] {root, 0});
    seen.put(root, true);
    while (!stack.isEmpty()) {
      Object[] top = stack.peek();
      Tensor t = (Tensor) top[0];
      int next = (Integer) top[1];
      Node node = t.gradFn();
      Tensor[] ins = node == null || node.released() ? null : node.inputs();
      if (node != null && node.released()) {
        throw new IllegalStateException(
            "backward through '" + node.op() + "' a second time: the graph is released after backward()");
      }
      if (ins != null && next < ins.length) {
        top[1] = next + 1;
        Tensor in = ins[next];
        if (in != null && in.requiresGrad() && seen.put(in, true) == null) {
          stack.push(new Object[] {in, 0});
        }
      } else {
        stack.pop();
        post.add(t);
      }
    }
    java.util.Collections.reverse(post);
    return post;
  }
}
