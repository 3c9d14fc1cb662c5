package lmlab.nn;

import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import lmlab.io.TensorSource;
import lmlab.tensor.Tensor;

/**
 * A building block with named parameters, named buffers and child modules, the PyTorch way:
 * the names joined by dots are the state-dict keys ({@code model.layers.0.self_attn.q_proj.weight}).
 *
 * <p>Subclasses register what they own in their constructor with {@link #parameter},
 * {@link #buffer} and {@link #child}, in the order they should be listed.
 */
public abstract class Module {
  private final Map<String, Tensor> parameters = new LinkedHashMap<>();
  private final Map<String, Tensor> buffers = new LinkedHashMap<>();
  private final Map<String, Module> children = new LinkedHashMap<>();
  private boolean training = true;

  /** Registers a trainable tensor (marked requiresGrad) under name. Returns it. */
  protected final Tensor parameter(String name, Tensor value) {
    checkName(name);
    value.requiresGrad(true);
    parameters.put(name, value);
    return value;
  }

  /** Registers a non-trainable tensor kept in the state dict (e.g. BatchNorm running stats). */
  protected final Tensor buffer(String name, Tensor value) {
    checkName(name);
    buffers.put(name, value);
    return value;
  }

  /** Replaces a registered buffer's tensor (buffers are updated out of place). */
  protected final void setBuffer(String name, Tensor value) {
    if (!buffers.containsKey(name)) throw new IllegalArgumentException("no buffer named '" + name + "'");
    // a buffer outlives the step that computed it: keep a plain copy, never the step arena's memory
    buffers.put(name, Tensor.of(value.toArray(), value.shape()));
  }

  /** Registers a child module under name. Returns it. */
  protected final <M extends Module> M child(String name, M module) {
    checkName(name);
    children.put(name, module);
    return module;
  }

  private void checkName(String name) {
    if (name.isEmpty() || name.contains(".")) {
      throw new IllegalArgumentException("module member names are non-empty and have no '.', got '" + name + "'");
    }
    if (parameters.containsKey(name) || buffers.containsKey(name) || children.containsKey(name)) {
      throw new IllegalArgumentException("'" + name + "' is registered twice in " + getClass().getSimpleName());
    }
  }

  /** Direct children, by name. */
  public final Map<String, Module> children() {
    return Collections.unmodifiableMap(children);
  }

  /**
   * Every parameter under its dotted name, depth first in registration order. A tensor registered
   * twice (tied weights) is listed once, under its first name.
   */
  public final Map<String, Tensor> namedParameters() {
    Map<String, Tensor> out = new LinkedHashMap<>();
    collect("", out, new IdentityHashMap<>(), true);
    return out;
  }

  /** The parameters, each once. */
  public final List<Tensor> parameters() {
    return new ArrayList<>(namedParameters().values());
  }

  /** Parameters and buffers under their dotted names: what a checkpoint stores. */
  public final Map<String, Tensor> stateDict() {
    Map<String, Tensor> out = new LinkedHashMap<>();
    collectState("", out, new IdentityHashMap<>());
    return out;
  }

  private void collect(String prefix, Map<String, Tensor> out, IdentityHashMap<Tensor, Boolean> seen, boolean params) {
    for (var e : (params ? parameters : buffers).entrySet()) {
      if (seen.put(e.getValue(), true) == null) out.put(prefix + e.getKey(), e.getValue());
    }
    for (var e : children.entrySet()) e.getValue().collect(prefix + e.getKey() + ".", out, seen, params);
  }

  private void collectState(String prefix, Map<String, Tensor> out, IdentityHashMap<Tensor, Boolean> seen) {
    for (var e : parameters.entrySet()) {
      if (seen.put(e.getValue(), true) == null) out.put(prefix + e.getKey(), e.getValue());
    }
    for (var e : buffers.entrySet()) out.put(prefix + e.getKey(), e.getValue());
    for (var e : children.entrySet()) e.getValue().collectState(prefix + e.getKey() + ".", out, seen);
  }

  /**
   * Copies values from a state dict into this module's parameters and buffers, strictly: every
   * name must be present with the same shape and no extra name may appear. Problems are named
   * (the first few and how many); nothing is copied unless everything fits.
   */
  public final LoadReport loadStateDict(Map<String, Tensor> state) {
    return loadStateDict(state, true);
  }

  /**
   * As {@link #loadStateDict(Map)}; non-strict, missing and unexpected names are reported in the
   * result instead of refused (a mis-shaped tensor is an error either way), as PyTorch's
   * {@code load_state_dict(strict=False)}.
   */
  public final LoadReport loadStateDict(Map<String, Tensor> state, boolean strict) {
    return StateLoader.load(this, TensorSource.of(state), strict);
  }

  /**
   * Loads from a source of stored tensors (a checkpoint's files through a weight mapper, say),
   * copying each straight into the parameter or buffer it belongs to.
   */
  public final LoadReport loadStateDict(TensorSource source, boolean strict) {
    return StateLoader.load(this, source, strict);
  }

  /** This module's own parameters by local name (not its children's), in registration order. */
  public final Map<String, Tensor> ownParameters() {
    return Collections.unmodifiableMap(parameters);
  }

  /** This module's own buffers by local name, in registration order. */
  public final Map<String, Tensor> ownBuffers() {
    return Collections.unmodifiableMap(buffers);
  }

  /**
   * This module ("" ) and every descendant under its dotted path, depth first in registration
   * order. A module registered twice is listed once, under its first path.
   */
  public final Map<String, Module> namedModules() {
    Map<String, Module> out = new LinkedHashMap<>();
    collectModules("", out, new IdentityHashMap<>());
    return out;
  }

  private void collectModules(String path, Map<String, Module> out, IdentityHashMap<Module, Boolean> seen) {
    if (seen.put(this, true) != null) return;
    out.put(path, this);
    for (var e : children.entrySet()) {
      e.getValue().collectModules(path.isEmpty() ? e.getKey() : path + "." + e.getKey(), out, seen);
    }
  }

  /**
   * Number of trainable parameters (tied tensors once), with or without the embedding tables: the
   * tensors owned by {@link Embedding} and {@link LearnedPositions} modules (a head tied to the
   * token embedding is thereby excluded too).
   */
  public final long numParameters(boolean includeEmbeddings) {
    return includeEmbeddings ? numParameters() : ParameterTable.of(this).totalExcludingEmbeddings();
  }

  /** Number of trainable parameters (tied tensors once). */
  public final long numParameters() {
    long n = 0;
    for (Tensor t : namedParameters().values()) n += t.numel();
    return n;
  }

  /** Switches this module and its children to training (true) or evaluation (false) mode. */
  public final Module train(boolean on) {
    training = on;
    for (Module m : children.values()) m.train(on);
    return this;
  }

  public final Module eval() {
    return train(false);
  }

  public final boolean isTraining() {
    return training;
  }

  // ------------------------------------------------------------------------------- surgery

  /**
   * The parameters that take part in training (requiresGrad), by name, tied tensors once: what
   * the optimizer, gradient clipping and the parameter norm see. Frozen ones ({@link #requiresGrad})
   * are left out.
   */
  public final Map<String, Tensor> trainableParameters() {
    Map<String, Tensor> out = new LinkedHashMap<>();
    for (var e : namedParameters().entrySet()) if (e.getValue().requiresGrad()) out.put(e.getKey(), e.getValue());
    return out;
  }

  /**
   * Freezes (false) or unfreezes (true) every parameter of this subtree, as PyTorch's
   * {@code module.requires_grad_(False)}: a frozen parameter gets no gradient, no optimizer state
   * and no update. A tensor tied into another module is the same tensor, so it freezes there too.
   */
  public final Module requiresGrad(boolean on) {
    for (Tensor p : namedParameters().values()) p.requiresGrad(on);
    return this;
  }

  /**
   * The descendant at a dotted path ("model.layers.0.mlp"); "" is this module. An unknown
   * component is an error naming the path and the children that exist there.
   */
  public final Module module(String path) {
    if (path.isEmpty()) return this;
    Module m = this;
    String at = "";
    for (String part : path.split("\\.", -1)) {
      Module next = m.children.get(part);
      if (next == null) throw new IllegalArgumentException(noSuchChild(path, at, m));
      m = next;
      at = at.isEmpty() ? part : at + "." + part;
    }
    return m;
  }

  /**
   * Replaces the child at a dotted path by replacement (module surgery: an adapter around a
   * Linear, another block), keeping its name and place in the registration order, so the state
   * dict names stay the same. The references modules of this tree hold to the old child (a field,
   * a list or array element) are redirected too ({@link ChildReferences}), so forward uses the
   * replacement.
   * Errors name the path: an unknown path, the root, or a replacement the parent cannot hold (a
   * field of another type). Returns the module replaced.
   */
  public final Module replaceChild(String path, Module replacement) {
    if (replacement == null) throw new IllegalArgumentException("replaceChild('" + path + "'): replacement is null");
    if (path.isEmpty()) throw new IllegalArgumentException("replaceChild: the path is empty (the root cannot be replaced)");
    int dot = path.lastIndexOf('.');
    Module parent = module(dot < 0 ? "" : path.substring(0, dot));
    String name = path.substring(dot + 1);
    Module old = parent.children.get(name);
    if (old == null) throw new IllegalArgumentException(noSuchChild(path, dot < 0 ? "" : path.substring(0, dot), parent));
    if (replacement == this || replacement.namedModules().containsValue(this)) {
      throw new IllegalArgumentException("replaceChild('" + path + "'): the replacement contains the module itself");
    }
    ChildReferences.redirect(this, old, replacement, path); // checks every reference first, then rewrites
    parent.children.put(name, replacement); // same key: keeps its position
    return old;
  }

  private static String noSuchChild(String path, String at, Module m) {
    return "no module '" + path + "': " + (at.isEmpty() ? "the model" : "'" + at + "'") + " has "
        + (m.children.isEmpty() ? "no children" : "children " + String.join(", ", m.children.keySet()));
  }

  /** Sets every parameter's accumulated gradient to zero (keeping the buffers). */
  public final void zeroGrad() {
    for (Tensor p : namedParameters().values()) p.zeroGrad();
  }
}
