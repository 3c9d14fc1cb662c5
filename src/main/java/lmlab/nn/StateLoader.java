package lmlab.nn;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import lmlab.io.TensorSource;
import lmlab.tensor.Shape;
import lmlab.tensor.Tensor;

/**
 * Copies a {@link TensorSource} into a module's parameters and buffers. Every name and shape is
 * checked before the first value is copied, so a refused load changes nothing; then each tensor
 * is copied straight from the source into the parameter's own storage. A source over memory-mapped
 * files therefore never puts a second copy of the model on the heap.
 */
final class StateLoader {
  private StateLoader() {}

  static LoadReport load(Module module, TensorSource source, boolean strict) {
    Map<String, Tensor> mine = module.stateDict();
    Set<String> given = new LinkedHashSet<>(source.names());
    List<String> missing = new ArrayList<>();
    List<String> unexpected = new ArrayList<>();
    Map<String, Tensor> load = new LinkedHashMap<>();
    for (var e : mine.entrySet()) {
      if (!given.contains(e.getKey())) {
        missing.add(e.getKey());
        continue;
      }
      int[] shape = source.shape(e.getKey());
      if (!Shape.same(shape, e.getValue().shape())) {
        throw new IllegalArgumentException("checkpoint tensor " + quoted(source, e.getKey()) + " has shape "
            + Shape.str(shape) + ", the model expects " + Shape.str(e.getValue().shape()));
      }
      load.put(e.getKey(), e.getValue());
    }
    for (String name : given) if (!mine.containsKey(name)) unexpected.add(name);
    if (strict) refuse(missing, unexpected, mine);
    for (var e : load.entrySet()) copy(source, e.getKey(), e.getValue());
    return new LoadReport(List.copyOf(load.keySet()), missing, unexpected, source.ignored());
  }

  /** A strict load's error: the missing names (with shapes) and the unexpected ones, first few of each. */
  private static void refuse(List<String> missing, List<String> unexpected, Map<String, Tensor> mine) {
    List<String> problems = new ArrayList<>();
    if (missing.size() == 1) {
      String n = missing.getFirst();
      problems.add("checkpoint is missing tensor '" + n + "' (expected shape " + Shape.str(mine.get(n).shape()) + ")");
    } else if (!missing.isEmpty()) {
      problems.add("checkpoint is missing " + missing.size() + " tensors: " + LoadReport.list(missing));
    }
    if (unexpected.size() == 1) {
      problems.add("checkpoint has unexpected tensor '" + unexpected.getFirst()
          + "' (the model has no such parameter or buffer)");
    } else if (!unexpected.isEmpty()) {
      problems.add("checkpoint has " + unexpected.size() + " unexpected tensors: " + LoadReport.list(unexpected));
    }
    if (!problems.isEmpty()) throw new IllegalArgumentException(String.join("; ", problems));
  }

  /** 'name', or 'name' (from the stored tensor and its mapping). */
  private static String quoted(TensorSource source, String name) {
    String o = source.origin(name);
    return "'" + name + "'" + (o.equals(name) ? "" : " (from " + o + ")");
  }

  /** Into the tensor's own storage when it is contiguous (parameters and buffers are), else through a copy. */
  private static void copy(TensorSource source, String name, Tensor dst) {
    if (dst.isContiguous()) {
      source.readInto(name, dst.storage(), dst.offset());
    } else {
      float[] tmp = new float[dst.numel()];
      source.readInto(name, tmp, 0);
      dst.copy_(Tensor.of(tmp, dst.shape()));
    }
  }
}
