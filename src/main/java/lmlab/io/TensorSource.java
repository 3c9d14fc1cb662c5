package lmlab.io;

import java.lang.foreign.MemorySegment;
import java.util.List;
import java.util.Map;
import lmlab.kernels.Bf16;
import lmlab.tensor.Tensor;

/**
 * Named float tensors that can be copied straight into a destination array: a state dict in
 * memory, or a checkpoint's memory-mapped files seen through a {@link WeightMapper} (then a tensor
 * is read, renamed, sliced and transposed on the way, never held whole in between). What
 * {@code Module.loadStateDict} reads from.
 */
public interface TensorSource {
  /** The tensor names, in order. */
  List<String> names();

  /** The shape of a listed tensor. */
  int[] shape(String name);

  /** Copies a listed tensor's values (row-major, float32) into dst starting at offset. */
  void readInto(String name, float[] dst, int offset);

  /**
   * A listed tensor as bfloat16 values (little-endian, row-major), for weights that stay bf16 in
   * memory: a view of the stored bytes when they are exactly that, else the float32 values rounded
   * to nearest (ties to even) into a new heap segment.
   */
  default MemorySegment bf16(String name) {
    int n = Math.toIntExact(numel(shape(name)));
    float[] f = new float[n];
    readInto(name, f, 0);
    return Bf16.round(f, 0, n);
  }

  /** Whether {@link #bf16} of this tensor is a view of the stored bytes (no copy). */
  default boolean storedAsBf16(String name) {
    return false;
  }

  /** The product of a shape. */
  static long numel(int[] shape) {
    long n = 1;
    for (int d : shape) n *= d;
    return n;
  }

  /** Where a tensor's values come from, for messages: its name, or the stored tensor and the mapping. */
  default String origin(String name) {
    return name;
  }

  /** Stored tensors a mapper deliberately left out (mask buffers, say), for the load report. */
  default List<String> ignored() {
    return List.of();
  }

  /** Tensors already in memory. */
  static TensorSource of(Map<String, Tensor> tensors) {
    List<String> names = List.copyOf(tensors.keySet());
    return new TensorSource() {
      @Override
      public List<String> names() {
        return names;
      }

      @Override
      public int[] shape(String name) {
        return tensors.get(name).shape();
      }

      @Override
      public void readInto(String name, float[] dst, int offset) {
        Tensor t = tensors.get(name).contiguous();
        System.arraycopy(t.storage(), t.offset(), dst, offset, t.numel());
      }
    };
  }
}
