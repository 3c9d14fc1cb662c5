package lmlab.tensor;

import java.util.Arrays;
import lmlab.autograd.Autograd;
import lmlab.autograd.Node;

/**
 * An N-dimensional float32 tensor: a flat {@code float[]} storage read through an offset, a shape
 * and strides (row-major by default), plus what reverse-mode autograd needs (requiresGrad, the
 * accumulated {@link #grad()}, and the {@link Node} that produced it).
 *
 * <p>Views (reshape of a contiguous tensor, transpose, permute, narrow, expand, squeeze,
 * unsqueeze) share storage and are differentiable. Ops never write into their inputs; the few
 * in-place methods end in an underscore and are not recorded.
 *
 * <p>The op families live in their own files (Elementwise, Reductions, ShapeOps, IndexOps,
 * LinearAlgebra, Activations, Losses, ...); the methods here are their fluent front.
 */
public final class Tensor {
  final float[] data;
  final int offset;
  final int[] shape;
  final int[] strides;

  private boolean requiresGrad;
  private Tensor grad;
  private Node gradFn;

  Tensor(float[] data, int offset, int[] shape, int[] strides) {
    this.data = data;
    this.offset = offset;
    this.shape = shape;
    this.strides = strides;
  }

  /** A contiguous tensor over the given storage (not copied). */
  static Tensor wrap(float[] data, int[] shape) {
    return new Tensor(data, 0, shape, Shape.contiguousStrides(shape));
  }

  // ---------------------------------------------------------------- creation

  /** A tensor holding a copy of values, in row-major order, with the given shape. */
  public static Tensor of(float[] values, int... shape) {
    Shape.check("Tensor.of", shape);
    if (Shape.numel(shape) != values.length) {
      throw new IllegalArgumentException(
          "Tensor.of: " + values.length + " values cannot fill shape " + Shape.str(shape)
              + " (" + Shape.numel(shape) + " elements)");
    }
    return wrap(values.clone(), shape.clone());
  }

  /** A one-dimensional tensor of the given values. */
  public static Tensor vector(float... values) {
    return of(values, values.length);
  }

  /** A scalar (shape []). */
  public static Tensor scalar(float value) {
    return wrap(new float[] {value}, new int[0]);
  }

  public static Tensor zeros(int... shape) {
    Shape.check("zeros", shape);
    MemoryProbe.allocated(Shape.numel(shape));
    return wrap(new float[Shape.numel(shape)], shape.clone());
  }

  public static Tensor ones(int... shape) {
    return full(shape, 1f);
  }

  public static Tensor full(int[] shape, float value) {
    Shape.check("full", shape);
    MemoryProbe.allocated(Shape.numel(shape));
    float[] d = new float[Shape.numel(shape)];
    Arrays.fill(d, value);
    return wrap(d, shape.clone());
  }

  /** zeros of the same shape as other. */
  public static Tensor zerosLike(Tensor other) {
    return zeros(other.shape);
  }

  /** [start, start + step, ...) up to but excluding end, PyTorch's arange. */
  public static Tensor arange(float start, float end, float step) {
    if (step == 0 || Float.isNaN(step)) throw new IllegalArgumentException("arange: step must be non-zero, got " + step);
    int n = (int) Math.max(0, Math.ceil((end - start) / (double) step));
    float[] d = new float[n];
    for (int i = 0; i < n; i++) d[i] = (float) (start + (double) i * step);
    return wrap(d, new int[] {n});
  }

  public static Tensor arange(int n) {
    return arange(0, n, 1);
  }

  /** Standard normal draws from a seeded generator. */
  public static Tensor randn(Rng rng, int... shape) {
    Shape.check("randn", shape);
    float[] d = new float[Shape.numel(shape)];
    for (int i = 0; i < d.length; i++) d[i] = (float) rng.nextGaussian();
    return wrap(d, shape.clone());
  }

  /** Uniform [0, 1) draws from a seeded generator. */
  public static Tensor rand(Rng rng, int... shape) {
    Shape.check("rand", shape);
    float[] d = new float[Shape.numel(shape)];
    for (int i = 0; i < d.length; i++) d[i] = rng.nextFloat();
    return wrap(d, shape.clone());
  }

  // ---------------------------------------------------------------- metadata

  public int[] shape() {
    return shape.clone();
  }

  /** Size of dimension d (negative counts from the end). */
  public int size(int d) {
    return shape[Shape.dim("size", d, shape.length)];
  }

  public int dim() {
    return shape.length;
  }

  public int numel() {
    return Shape.numel(shape);
  }

  public int[] strides() {
    return strides.clone();
  }

  public int offset() {
    return offset;
  }

  /** The backing storage, shared with every view of it. Kernels read it with offset and strides. */
  public float[] storage() {
    return data;
  }

  /** Whether the elements lie in row-major order without gaps, starting at offset. */
  public boolean isContiguous() {
    int s = 1;
    for (int i = shape.length - 1; i >= 0; i--) {
      if (shape[i] != 1 && strides[i] != s) return false;
      s *= shape[i];
    }
    return true;
  }

  // ---------------------------------------------------------------- element access

  private int flatIndex(int... idx) {
    if (idx.length != shape.length) {
      throw new IllegalArgumentException(
          "index of " + idx.length + " coordinates for a tensor of shape " + Shape.str(shape));
    }
    int p = offset;
    for (int i = 0; i < idx.length; i++) {
      int k = idx[i] < 0 ? idx[i] + shape[i] : idx[i];
      if (k < 0 || k >= shape[i]) {
        throw new IndexOutOfBoundsException(
            "index " + idx[i] + " out of range for dimension " + i + " of size " + shape[i]
                + " in a tensor of shape " + Shape.str(shape));
      }
      p += k * strides[i];
    }
    return p;
  }

  /** The element at the given coordinates. */
  public float get(int... idx) {
    return data[flatIndex(idx)];
  }

  /** Writes one element in place (not recorded by autograd). */
  public void set(float value, int... idx) {
    data[flatIndex(idx)] = value;
  }

  /** The value of a one-element tensor. */
  public float item() {
    if (numel() != 1) {
      throw new IllegalArgumentException("item() needs a tensor with one element, got shape " + Shape.str(shape));
    }
    return data[offset];
  }

  /** A row-major copy of the elements. */
  public float[] toArray() {
    Tensor c = contiguous();
    int n = numel();
    if (c.offset == 0 && c.data.length == n && c != this) return c.data;
    return Arrays.copyOfRange(c.data, c.offset, c.offset + n);
  }

  // ---------------------------------------------------------------- autograd

  public boolean requiresGrad() {
    return requiresGrad;
  }

  /** Marks a leaf tensor as a parameter whose gradient is accumulated. Returns this. */
  public Tensor requiresGrad(boolean value) {
    if (gradFn != null && !value) {
      throw new IllegalStateException("requiresGrad(false) on a non-leaf tensor: use detach()");
    }
    this.requiresGrad = value;
    return this;
  }

  /** The accumulated gradient of a leaf (null before the first backward). */
  public Tensor grad() {
    return grad;
  }

  /** The op that produced this tensor, or null for a leaf. */
  public Node gradFn() {
    return gradFn;
  }

  public boolean isLeaf() {
    return gradFn == null;
  }

  /** Used by {@link Autograd#record}: attaches the producing node. */
  public void setGradFn(Node node) {
    this.gradFn = node;
    this.requiresGrad = true;
  }

  /** Sets the accumulated gradient to zero, keeping its buffer for the next step. */
  public void zeroGrad() {
    if (grad != null) grad.fill_(0f);
  }

  /** Drops the accumulated gradient. */
  public void clearGrad() {
    grad = null;
  }

  /** Adds g (of this tensor's shape) into grad; the first call copies, later calls add in place. */
  public void accumulateGrad(Tensor g) {
    if (!Shape.same(g.shape, shape)) {
      throw new IllegalStateException(
          "gradient of shape " + Shape.str(g.shape) + " for a tensor of shape " + Shape.str(shape));
    }
    if (grad == null) {
      MemoryProbe.allocated(g.numel());
      grad = g.copyInto(new float[g.numel()]); // plain memory: the gradient outlives the step's arena
    } else {
      Kernels.addInto(grad, g);
    }
  }

  /** Backward from this scalar. */
  public void backward() {
    Autograd.backward(this);
  }

  /** Backward with the upstream gradient dL/d(this). */
  public void backward(Tensor gradient) {
    Autograd.backward(this, gradient);
  }

  /** The same data, cut from the graph. */
  public Tensor detach() {
    return new Tensor(data, offset, shape, strides);
  }

  // ---------------------------------------------------------------- copies and in-place writes

  /**
   * A contiguous copy with fresh storage, cut from the graph. Inside an {@link Arena} scope the
   * storage is the step's and lives only as long as the step.
   */
  public Tensor copy() {
    return copyInto(Arena.scratch(numel()));
  }

  /** This tensor's elements, in row-major order, into d (numel floats); d wrapped with this shape. */
  private Tensor copyInto(float[] d) {
    Kernels.copyStrided(this, d, 0);
    return wrap(d, shape.clone());
  }

  /** This tensor if contiguous, else a contiguous copy (differentiable). */
  public Tensor contiguous() {
    if (isContiguous()) return this;
    Tensor out = copy();
    return Autograd.record("contiguous", out, g -> new Tensor[] {g}, this);
  }

  /** A differentiable copy. */
  public Tensor cloneTensor() {
    Tensor out = copy();
    return Autograd.record("clone", out, g -> new Tensor[] {g}, this);
  }

  /** Fills every element with value, in place (not recorded). Returns this. */
  public Tensor fill_(float value) {
    if (isContiguous()) {
      Arrays.fill(data, offset, offset + numel(), value);
    } else {
      Kernels.fillStrided(this, value);
    }
    return this;
  }

  /** Copies src (broadcast to this shape) into this tensor in place (not recorded). Returns this. */
  public Tensor copy_(Tensor src) {
    Kernels.copyInto(this, src.expand(shape));
    return this;
  }

  // ---------------------------------------------------------------- views

  /** Same elements, new shape; a view when possible (contiguous), else a copy. One -1 allowed. */
  public Tensor reshape(int... newShape) {
    int[] ns = inferShape("reshape", newShape);
    if (isContiguous()) return viewOf("reshape", ns);
    return contiguous().viewOf("reshape", ns);
  }

  /** Like reshape but never copies: fails on a non-contiguous tensor. */
  public Tensor view(int... newShape) {
    int[] ns = inferShape("view", newShape);
    if (!isContiguous()) {
      throw new IllegalArgumentException(
          "view" + Shape.str(ns) + ": tensor of shape " + Shape.str(shape)
              + " is not contiguous; use reshape() or contiguous() first");
    }
    return viewOf("view", ns);
  }

  private Tensor viewOf(String op, int[] ns) {
    Tensor out = new Tensor(data, offset, ns, Shape.contiguousStrides(ns));
    int[] orig = shape.clone();
    return Autograd.record(op, out, g -> new Tensor[] {g.reshape(orig)}, this);
  }

  private int[] inferShape(String op, int[] newShape) {
    int[] ns = newShape.clone();
    int infer = -1;
    long known = 1;
    for (int i = 0; i < ns.length; i++) {
      if (ns[i] == -1) {
        if (infer >= 0) throw new IllegalArgumentException(op + Shape.str(newShape) + ": only one dimension can be -1");
        infer = i;
      } else if (ns[i] < 0) {
        throw new IllegalArgumentException(op + Shape.str(newShape) + ": negative size " + ns[i]);
      } else {
        known *= ns[i];
      }
    }
    int n = numel();
    if (infer >= 0) {
      if (known == 0 || n % known != 0) {
        throw new IllegalArgumentException(
            op + Shape.str(newShape) + ": cannot reshape a tensor of shape " + Shape.str(shape) + " (" + n + " elements)");
      }
      ns[infer] = (int) (n / known);
      known = n;
    }
    if (known != n) {
      throw new IllegalArgumentException(
          op + Shape.str(newShape) + ": shape " + Shape.str(shape) + " has " + n + " elements, the new shape "
              + known);
    }
    return ns;
  }

  /** All dimensions flattened into one. */
  public Tensor flatten() {
    return reshape(-1);
  }

  /** Swaps two dimensions (a view). */
  public Tensor transpose(int d0, int d1) {
    int a = Shape.dim("transpose", d0, shape.length);
    int b = Shape.dim("transpose", d1, shape.length);
    int[] perm = new int[shape.length];
    for (int i = 0; i < perm.length; i++) perm[i] = i;
    perm[a] = b;
    perm[b] = a;
    return permute(perm);
  }

  /** The matrix transpose of a 2-d tensor, or of the last two dims. */
  public Tensor t() {
    if (shape.length < 2) {
      throw new IllegalArgumentException("t() needs at least 2 dimensions, got shape " + Shape.str(shape));
    }
    return transpose(-2, -1);
  }

  /** Reorders dimensions: out.shape[i] = shape[perm[i]] (a view). */
  public Tensor permute(int... perm) {
    if (perm.length != shape.length) {
      throw new IllegalArgumentException(
          "permute" + Shape.str(perm) + ": needs " + shape.length + " dimensions for shape " + Shape.str(shape));
    }
    int[] ns = new int[perm.length];
    int[] nst = new int[perm.length];
    int[] inverse = new int[perm.length];
    boolean[] used = new boolean[perm.length];
    for (int i = 0; i < perm.length; i++) {
      int p = Shape.dim("permute", perm[i], shape.length);
      if (used[p]) throw new IllegalArgumentException("permute" + Shape.str(perm) + ": dimension " + p + " repeated");
      used[p] = true;
      ns[i] = shape[p];
      nst[i] = strides[p];
      inverse[p] = i;
    }
    Tensor out = new Tensor(data, offset, ns, nst);
    return Autograd.record("permute", out, g -> new Tensor[] {g.permute(inverse)}, this);
  }

  /** Elements [start, start + length) along dim (a view). */
  public Tensor narrow(int dim, int start, int length) {
    int d = Shape.dim("narrow", dim, shape.length);
    if (start < 0) start += shape[d];
    if (start < 0 || length < 0 || start + length > shape[d]) {
      throw new IllegalArgumentException(
          "narrow(dim " + dim + ", start " + start + ", length " + length + "): out of range for size "
              + shape[d] + " in shape " + Shape.str(shape));
    }
    int[] ns = shape.clone();
    ns[d] = length;
    Tensor out = new Tensor(data, offset + start * strides[d], ns, strides.clone());
    int[] orig = shape.clone();
    final int s0 = start;
    return Autograd.record("narrow", out, g -> {
      Tensor full = Arena.zeros(orig);
      full.narrow(d, s0, length).copy_(g);
      return new Tensor[] {full};
    }, this);
  }

  /** Python-style slice [start, end) along dim; negative bounds count from the end. */
  public Tensor slice(int dim, int start, int end) {
    int d = Shape.dim("slice", dim, shape.length);
    int n = shape[d];
    int s = start < 0 ? start + n : start;
    int e = end < 0 ? end + n : end;
    s = Math.max(0, Math.min(n, s));
    e = Math.max(s, Math.min(n, e));
    return narrow(d, s, e - s);
  }

  /** Index i along dim, removing that dim (a view). */
  public Tensor select(int dim, int index) {
    int d = Shape.dim("select", dim, shape.length);
    int i = index < 0 ? index + shape[d] : index;
    if (i < 0 || i >= shape[d]) {
      throw new IndexOutOfBoundsException(
          "select(dim " + dim + ", index " + index + "): out of range for size " + shape[d] + " in shape "
              + Shape.str(shape));
    }
    return narrow(d, i, 1).squeeze(d);
  }

  /** Broadcasts to a larger shape without copying (stride 0 on expanded dims). -1 keeps a size. */
  public Tensor expand(int... newShape) {
    if (Shape.same(newShape, shape)) return this;
    int lead = newShape.length - shape.length;
    if (lead < 0) {
      throw new IllegalArgumentException(
          "expand" + Shape.str(newShape) + ": fewer dimensions than the tensor's shape " + Shape.str(shape));
    }
    int[] ns = new int[newShape.length];
    int[] st = new int[newShape.length];
    for (int i = 0; i < newShape.length; i++) {
      int want = newShape[i];
      if (i < lead) {
        if (want < 0) throw new IllegalArgumentException("expand" + Shape.str(newShape) + ": -1 not allowed in a new leading dimension");
        ns[i] = want;
        st[i] = 0;
      } else {
        int have = shape[i - lead];
        if (want == -1) want = have;
        if (have != want && have != 1) {
          throw new IllegalArgumentException(
              "expand: cannot expand shape " + Shape.str(shape) + " to " + Shape.str(newShape)
                  + " (dimension " + i + ": " + have + " vs " + want + ")");
        }
        ns[i] = want;
        st[i] = have == want ? strides[i - lead] : 0;
      }
    }
    Tensor out = new Tensor(data, offset, ns, st);
    // the engine sums the gradient back to this shape
    return Autograd.record("expand", out, g -> new Tensor[] {g}, this);
  }

  /** Inserts a dimension of size 1 at dim (a view). */
  public Tensor unsqueeze(int dim) {
    int d = Shape.dim("unsqueeze", dim, shape.length + 1);
    int[] ns = new int[shape.length + 1];
    int[] st = new int[shape.length + 1];
    for (int i = 0, j = 0; i < ns.length; i++) {
      if (i == d) {
        ns[i] = 1;
        st[i] = j < shape.length ? strides[j] * shape[j] : 1;
      } else {
        ns[i] = shape[j];
        st[i] = strides[j];
        j++;
      }
    }
    Tensor out = new Tensor(data, offset, ns, st);
    int[] orig = shape.clone();
    return Autograd.record("unsqueeze", out, g -> new Tensor[] {g.reshape(orig)}, this);
  }

  /** Removes dimension dim, which must have size 1 (a view). */
  public Tensor squeeze(int dim) {
    int d = Shape.dim("squeeze", dim, shape.length);
    if (shape[d] != 1) {
      throw new IllegalArgumentException(
          "squeeze(" + dim + "): dimension has size " + shape[d] + ", not 1, in shape " + Shape.str(shape));
    }
    int[] ns = new int[shape.length - 1];
    int[] st = new int[shape.length - 1];
    for (int i = 0, j = 0; i < shape.length; i++) {
      if (i == d) continue;
      ns[j] = shape[i];
      st[j++] = strides[i];
    }
    Tensor out = new Tensor(data, offset, ns, st);
    int[] orig = shape.clone();
    return Autograd.record("squeeze", out, g -> new Tensor[] {g.reshape(orig)}, this);
  }

  // ---------------------------------------------------------------- printing

  @Override
  public String toString() {
    StringBuilder b = new StringBuilder("Tensor").append(Shape.str(shape));
    if (gradFn != null) b.append(" grad_fn=").append(gradFn.op());
    else if (requiresGrad) b.append(" requires_grad");
    float[] v = toArray();
    b.append(" [");
    int show = Math.min(v.length, 8);
    for (int i = 0; i < show; i++) {
      if (i > 0) b.append(", ");
      b.append(v[i]);
    }
    if (v.length > show) b.append(", ...");
    return b.append(']').toString();
  }

  // ================================================================ op families
  // Each family below delegates to its own file. Keep each section's methods together.

  // ---- Elementwise (Elementwise.java) ----
  // Binary ops broadcast NumPy style; every op returns a fresh contiguous tensor.

  /** this + o (broadcasting). */
  public Tensor add(Tensor o) {
    return Elementwise.add(this, o);
  }

  /** this - o (broadcasting). */
  public Tensor sub(Tensor o) {
    return Elementwise.sub(this, o);
  }

  /** this * o elementwise (broadcasting). */
  public Tensor mul(Tensor o) {
    return Elementwise.mul(this, o);
  }

  /** this / o elementwise (broadcasting). */
  public Tensor div(Tensor o) {
    return Elementwise.div(this, o);
  }

  /** this ^ exponent elementwise (broadcasting). */
  public Tensor pow(Tensor exponent) {
    return Elementwise.pow(this, exponent);
  }

  /** Elementwise max(this, o) (broadcasting); ties share the gradient equally. */
  public Tensor maximum(Tensor o) {
    return Elementwise.maximum(this, o);
  }

  /** Elementwise min(this, o) (broadcasting); ties share the gradient equally. */
  public Tensor minimum(Tensor o) {
    return Elementwise.minimum(this, o);
  }

  public Tensor add(float s) {
    return Elementwise.add(this, s);
  }

  public Tensor sub(float s) {
    return Elementwise.sub(this, s);
  }

  /** s - this. */
  public Tensor rsub(float s) {
    return Elementwise.rsub(this, s);
  }

  public Tensor mul(float s) {
    return Elementwise.mul(this, s);
  }

  public Tensor div(float s) {
    return Elementwise.div(this, s);
  }

  public Tensor neg() {
    return Elementwise.neg(this);
  }

  // ---- Unary math (UnaryMath.java) ----
  public Tensor exp() {
    return UnaryMath.exp(this);
  }

  /** Natural logarithm. */
  public Tensor log() {
    return UnaryMath.log(this);
  }

  public Tensor sqrt() {
    return UnaryMath.sqrt(this);
  }

  /** 1 / sqrt(this). */
  public Tensor rsqrt() {
    return UnaryMath.rsqrt(this);
  }

  /** |this|; gradient sign(x), 0 at 0. */
  public Tensor abs() {
    return UnaryMath.abs(this);
  }

  /** min(max(this, min), max); either bound may be infinite. Gradient 1 where min <= x <= max. */
  public Tensor clamp(float min, float max) {
    return UnaryMath.clamp(this, min, max);
  }

  public Tensor square() {
    return UnaryMath.square(this);
  }

  /** this ^ p elementwise. */
  public Tensor pow(float p) {
    return UnaryMath.pow(this, p);
  }

  // ---- Activations (Activations.java, Dropout.java) ----
  public Tensor tanh() {
    return Activations.tanh(this);
  }

  public Tensor sigmoid() {
    return Activations.sigmoid(this);
  }

  /** max(0, x); gradient 0 at 0. */
  public Tensor relu() {
    return Activations.relu(this);
  }

  /** Exact GELU, x Φ(x) with Φ through erf. */
  public Tensor gelu() {
    return Activations.gelu(this);
  }

  /** GELU's tanh approximation 0.5x(1 + tanh(√(2/π)(x + 0.044715x³))) (GPT-2). */
  public Tensor geluTanh() {
    return Activations.geluTanh(this);
  }

  /** x · sigmoid(x). */
  public Tensor silu() {
    return Activations.silu(this);
  }

  /** softplus(x) = log(1 + e^x), without overflow for large x. */
  public Tensor softplus() {
    return Activations.softplus(this);
  }

  /** logsigmoid(x) = log σ(x) = -softplus(-x), in (-inf, 0). */
  public Tensor logSigmoid() {
    return Activations.logSigmoid(this);
  }

  /** min(1, max(0, x)); derivative 1 on the closed interval [0, 1], 0 outside. */
  public Tensor slide() {
    return Activations.slide(this);
  }

  /**
   * Inverted dropout: keeps each element with probability 1 - p, scaled by 1 / (1 - p), drawing
   * from rng. Returns this tensor itself when p == 0 or not training; p must lie in [0, 1).
   */
  public Tensor dropout(float p, Rng rng, boolean training) {
    return Dropout.dropout(this, p, rng, training);
  }

  // ---- Comparisons and masks (Comparisons.java) ----
  // Comparisons give 0/1 float tensors (broadcasting) and are not differentiable.

  public Tensor eq(Tensor o) {
    return Comparisons.compare(this, o, Comparisons.Cmp.EQ);
  }

  public Tensor ne(Tensor o) {
    return Comparisons.compare(this, o, Comparisons.Cmp.NE);
  }

  public Tensor lt(Tensor o) {
    return Comparisons.compare(this, o, Comparisons.Cmp.LT);
  }

  public Tensor le(Tensor o) {
    return Comparisons.compare(this, o, Comparisons.Cmp.LE);
  }

  public Tensor gt(Tensor o) {
    return Comparisons.compare(this, o, Comparisons.Cmp.GT);
  }

  public Tensor ge(Tensor o) {
    return Comparisons.compare(this, o, Comparisons.Cmp.GE);
  }

  public Tensor eq(float s) {
    return Comparisons.compare(this, s, Comparisons.Cmp.EQ);
  }

  public Tensor ne(float s) {
    return Comparisons.compare(this, s, Comparisons.Cmp.NE);
  }

  public Tensor lt(float s) {
    return Comparisons.compare(this, s, Comparisons.Cmp.LT);
  }

  public Tensor le(float s) {
    return Comparisons.compare(this, s, Comparisons.Cmp.LE);
  }

  public Tensor gt(float s) {
    return Comparisons.compare(this, s, Comparisons.Cmp.GT);
  }

  public Tensor ge(float s) {
    return Comparisons.compare(this, s, Comparisons.Cmp.GE);
  }

  /** cond != 0 ? a : b elementwise, all three broadcast; differentiable in a and b. */
  public static Tensor where(Tensor cond, Tensor a, Tensor b) {
    return Comparisons.where(cond, a, b);
  }

  /** cond != 0 ? a : b with a scalar b. */
  public static Tensor where(Tensor cond, Tensor a, float b) {
    return Comparisons.where(cond, a, scalar(b));
  }

  /** value where mask (broadcast to this shape) is nonzero, else this; value may be -inf. */
  public Tensor maskedFill(Tensor mask, float value) {
    return Comparisons.maskedFill(this, mask, value);
  }

  // ---- Reductions (Reductions.java) ----
  // dims may be negative; an empty dims array reduces every dimension.

  /** Sum over dims (all when dims is empty), keeping them as size 1 when keepdim. */
  public Tensor sum(int[] dims, boolean keepdim) {
    return Reductions.sum(this, dims, keepdim);
  }

  /** Sum over one dim. */
  public Tensor sum(int dim, boolean keepdim) {
    return Reductions.sum(this, new int[] {dim}, keepdim);
  }

  /** Sum of all elements, a scalar. */
  public Tensor sum() {
    return Reductions.sum(this, new int[0], false);
  }

  /** Mean over dims (all when empty). */
  public Tensor mean(int[] dims, boolean keepdim) {
    return Reductions.mean(this, dims, keepdim);
  }

  public Tensor mean(int dim, boolean keepdim) {
    return Reductions.mean(this, new int[] {dim}, keepdim);
  }

  /** Mean of all elements, a scalar. */
  public Tensor mean() {
    return Reductions.mean(this, new int[0], false);
  }

  /** Biased variance (divides by n) over dims (all when empty). */
  public Tensor var(int[] dims, boolean keepdim) {
    return Reductions.var(this, dims, keepdim, false);
  }

  /** Variance over dims; unbiased divides by n - 1 (Bessel), else by n. */
  public Tensor var(int[] dims, boolean keepdim, boolean unbiased) {
    return Reductions.var(this, dims, keepdim, unbiased);
  }

  /** Biased variance of all elements, a scalar. */
  public Tensor var() {
    return Reductions.var(this, new int[0], false, false);
  }

  /** Max over dim; the gradient goes to the first maximal element. */
  public Tensor max(int dim, boolean keepdim) {
    return Reductions.max(this, dim, keepdim);
  }

  /** Max of all elements, a scalar. */
  public Tensor max() {
    return Reductions.max(this);
  }

  /** Min over dim; the gradient goes to the first minimal element. */
  public Tensor min(int dim, boolean keepdim) {
    return Reductions.min(this, dim, keepdim);
  }

  /** Min of all elements, a scalar. */
  public Tensor min() {
    return Reductions.min(this);
  }

  /** Index of the first maximum along dim (not differentiable). */
  public IntTensor argmax(int dim, boolean keepdim) {
    return Reductions.argmax(this, dim, keepdim);
  }

  /** Index of the first minimum along dim (not differentiable). */
  public IntTensor argmin(int dim, boolean keepdim) {
    return Reductions.argmin(this, dim, keepdim);
  }

  // ---- LinearAlgebra, Softmax, Losses, Norms, ShapeOps, IndexOps ----
  /** Matrix product, PyTorch matmul: 1-d operands promoted, batch dims broadcast. */
  public Tensor matmul(Tensor other) {
    return LinearAlgebra.matmul(this, other);
  }

  /** this (..., in) · weightᵀ + bias, weight (out, in), bias (out,) or null: one fused op. */
  public Tensor linear(Tensor weight, Tensor bias) {
    return LinearAlgebra.linear(this, weight, bias);
  }

  /** x (..., in) · weightᵀ + bias, weight (out, in), bias (out,) or null. */
  public static Tensor linear(Tensor x, Tensor weight, Tensor bias) {
    return LinearAlgebra.linear(x, weight, bias);
  }

  /** Softmax over dim, stable; -inf entries get 0, a row entirely -inf is an error. */
  public Tensor softmax(int dim) {
    return Softmax.softmax(this, dim);
  }

  /** log(softmax(dim)), computed as x − logsumexp(x). */
  public Tensor logSoftmax(int dim) {
    return Softmax.logSoftmax(this, dim);
  }

  /** Cross-entropy of these logits (..., C) against targets (...), skipping ignoreIndex targets. */
  public Tensor crossEntropy(IntTensor targets, int ignoreIndex, Reduction reduction) {
    return Losses.crossEntropy(this, targets, ignoreIndex, reduction);
  }

  /** Mean cross-entropy with PyTorch's default ignore index -100. */
  public Tensor crossEntropy(IntTensor targets) {
    return Losses.crossEntropy(this, targets, -100, Reduction.MEAN);
  }

  public static Tensor crossEntropy(Tensor logits, IntTensor targets, int ignoreIndex, Reduction reduction) {
    return Losses.crossEntropy(logits, targets, ignoreIndex, reduction);
  }

  /** LayerNorm over the last dim (biased variance); weight and bias (d,) or null. */
  public Tensor layerNorm(Tensor weight, Tensor bias, float eps) {
    return Norms.layerNorm(this, weight, bias, eps);
  }

  /**
   * The pointwise part of an LSTM step, fused: from gate pre-activations [a_i | a_f | a_g | a_o]
   * (B, 4d) and c_{t-1} (B, d), returns [h_t | c_t] (B, 2d) with c_t = σ(a_f) c_{t-1} + σ(a_i) tanh(a_g)
   * and h_t = σ(a_o) tanh(c_t).
   */
  public static Tensor lstmCell(Tensor pre, Tensor cPrev) {
    return LstmCellKernels.cell(pre, cPrev);
  }

  /**
   * A whole LSTM layer's recurrence, fused: from the input part of the gate pre-activations
   * x W_xᵀ + b (B, S, 4d), the recurrent weight W_h (4d, d) and the initial state h0, c0 (B, d),
   * returns [h_t | c_t] for every step (B, S, 2d), with a_t = X_t + h_{t-1} W_hᵀ and the cell of
   * {@link #lstmCell}. Backward forms W_h's gradient as one product over all steps.
   */
  public static Tensor lstmSequence(Tensor x, Tensor wH, Tensor h0, Tensor c0) {
    return LstmSequenceKernels.sequence(x, wH, h0, c0);
  }

  /** RMSNorm over the last dim: x / sqrt(mean(x²) + eps) · weight; weight (d,) or null. */
  public Tensor rmsNorm(Tensor weight, float eps) {
    return Norms.rmsNorm(this, weight, eps);
  }

  /** Concatenation along dim; every other size must agree. */
  public static Tensor cat(java.util.List<Tensor> tensors, int dim) {
    return ShapeOps.cat(tensors, dim);
  }

  /** Same as {@link #cat}. */
  public static Tensor concat(java.util.List<Tensor> tensors, int dim) {
    return ShapeOps.cat(tensors, dim);
  }

  /** Equal-shaped tensors joined along a new dimension dim. */
  public static Tensor stack(java.util.List<Tensor> tensors, int dim) {
    return ShapeOps.stack(tensors, dim);
  }

  /** Views of `size` along dim (the last one shorter if it does not divide). */
  public java.util.List<Tensor> split(int size, int dim) {
    return ShapeOps.split(this, size, dim);
  }

  /** Views of the given sizes along dim (they must add up to its size). */
  public java.util.List<Tensor> split(int[] sizes, int dim) {
    return ShapeOps.split(this, sizes, dim);
  }

  /** PyTorch chunk: pieces of ceil(size(dim) / n) along dim. */
  public java.util.List<Tensor> chunk(int n, int dim) {
    return ShapeOps.chunk(this, n, dim);
  }

  /** PyTorch gather: out[p] = this[p with p[dim] = index[p]]; out has index's shape. */
  public Tensor gather(int dim, IntTensor index) {
    return IndexOps.gather(this, dim, index);
  }

  /** The entries index[0..k) along dim (repeats allowed). */
  public Tensor indexSelect(int dim, IntTensor index) {
    return IndexOps.indexSelect(this, dim, index);
  }

  /** Rows of this (V, d) table: shape (ids.shape..., d). */
  public Tensor embedding(IntTensor ids) {
    return IndexOps.embedding(this, ids);
  }

  /** Rows of weight (V, d) for ids of any shape: (ids.shape..., d). */
  public static Tensor embedding(Tensor weight, IntTensor ids) {
    return IndexOps.embedding(weight, ids);
  }
}
