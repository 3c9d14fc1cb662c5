package lmlab.train;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import lmlab.tensor.Shape;
import lmlab.tensor.Tensor;

/**
 * The bookkeeping every optimizer shares: the named parameters (each must be a contiguous leaf so
 * that an update is one pass over its float[]), one zero-initialised state buffer per parameter
 * and buffer kind, and the checks for restoring buffers from a checkpoint.
 */
final class ParameterSlots {
  final List<String> names = new ArrayList<>();
  final List<Tensor> params = new ArrayList<>();
  /** buffers.get(kind)[i] belongs to params.get(i). */
  final Map<String, float[][]> buffers = new LinkedHashMap<>();
  /** decayed[i]: whether weight decay applies to params.get(i) (all, unless restricted). */
  boolean[] decayed;

  ParameterSlots(Map<String, Tensor> parameters, String... kinds) {
    if (parameters.isEmpty()) throw new IllegalArgumentException("optimizer: no parameters to optimise");
    for (var e : parameters.entrySet()) {
      Tensor p = e.getValue();
      if (!p.isContiguous()) {
        throw new IllegalArgumentException("optimizer: parameter '" + e.getKey() + "' is not contiguous");
      }
      names.add(e.getKey());
      params.add(p);
    }
    decayed = new boolean[params.size()];
    java.util.Arrays.fill(decayed, true);
    for (String k : kinds) {
      float[][] b = new float[params.size()][];
      for (int i = 0; i < b.length; i++) b[i] = new float[params.get(i).numel()];
      buffers.put(k, b);
    }
  }

  /** Weight decay on the named parameters only. */
  void decayOnly(java.util.Collection<String> decay) {
    for (String n : decay) {
      if (!names.contains(n)) throw new IllegalArgumentException("optimizer: no parameter '" + n + "' to decay");
    }
    for (int i = 0; i < decayed.length; i++) decayed[i] = decay.contains(names.get(i));
  }

  int size() {
    return params.size();
  }

  Map<String, Tensor> parameters() {
    Map<String, Tensor> out = new LinkedHashMap<>();
    for (int i = 0; i < size(); i++) out.put(names.get(i), params.get(i));
    return out;
  }

  /** Every buffer as a tensor named kind.parameter (a copy, safe to write while training goes on). */
  Map<String, Tensor> tensors() {
    Map<String, Tensor> out = new LinkedHashMap<>();
    for (var e : buffers.entrySet()) {
      for (int i = 0; i < size(); i++) {
        out.put(e.getKey() + "." + names.get(i), Tensor.of(e.getValue()[i], params.get(i).shape()));
      }
    }
    return out;
  }

  /** Copies every buffer from tensors (checking presence, shape, and that nothing else is there). */
  void load(Map<String, Tensor> tensors) {
    int expected = 0;
    for (var e : buffers.entrySet()) {
      for (int i = 0; i < size(); i++) {
        String key = e.getKey() + "." + names.get(i);
        Tensor t = tensors.get(key);
        if (t == null) throw new IllegalArgumentException("optimizer state is missing tensor '" + key + "'");
        if (!Shape.same(t.shape(), params.get(i).shape())) {
          throw new IllegalArgumentException("optimizer state tensor '" + key + "' has shape " + Shape.str(t.shape())
              + ", the parameter has " + Shape.str(params.get(i).shape()));
        }
        System.arraycopy(t.toArray(), 0, e.getValue()[i], 0, t.numel());
        expected++;
      }
    }
    if (tensors.size() != expected) {
      for (String k : tensors.keySet()) {
        int dot = k.indexOf('.');
        if (dot < 0 || !buffers.containsKey(k.substring(0, dot)) || !names.contains(k.substring(dot + 1))) {
          throw new IllegalArgumentException("optimizer state has unexpected tensor '" + k + "'");
        }
      }
    }
  }

  /** Reads metadata key as a long, with an error naming it. */
  static long longMeta(Map<String, String> meta, String key) {
    String v = meta.get(key);
    if (v == null) throw new IllegalArgumentException("optimizer state has no '" + key + "' in its metadata");
    try {
      return Long.parseLong(v);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("optimizer state metadata '" + key + "' = '" + v + "' is not an integer");
    }
  }

  static void checkName(Map<String, String> meta, String name) {
    String got = meta.get("optimizer");
    if (!name.equals(got)) {
      throw new IllegalArgumentException("optimizer state was written by '" + got + "', not '" + name + "'");
    }
  }
}
