package lmlab.io;

/**
 * One tensor's header entry, already validated: byte range [begin, end) relative to the start of
 * the data section, with end - begin == numel * dtype.size().
 */
record TensorEntry(String name, DType dtype, int[] shape, long begin, long end) {
  long numel() {
    return (end - begin) / dtype.size();
  }
}
