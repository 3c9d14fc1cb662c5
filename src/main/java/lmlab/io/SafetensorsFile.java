package lmlab.io;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import lmlab.tensor.IntTensor;
import lmlab.tensor.Tensor;

/**
 * An opened safetensors file: its metadata and validated tensor entries over the data section
 * (held in memory, or memory-mapped for large files until {@link #close()}). Every accessor copies
 * the requested tensor out, so tensors stay valid after the file is closed.
 *
 * <p>Accessors throw {@link IllegalArgumentException} for a missing name, a dtype of the wrong
 * kind, or an I64 value outside the int range; the file itself was fully validated on opening.
 */
public final class SafetensorsFile implements AutoCloseable {
  private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
  private static final ValueLayout.OfDouble F64 = ValueLayout.JAVA_DOUBLE_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
  private static final ValueLayout.OfShort I16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
  private static final ValueLayout.OfInt I32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
  private static final ValueLayout.OfLong I64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

  private final String source;
  private final Map<String, String> metadata;
  private final Map<String, TensorEntry> entries;
  private final MemorySegment data;
  private final Arena arena; // null when the data are on the heap or kept mapped (an automatic arena)
  private volatile boolean closed;

  SafetensorsFile(String source, HeaderParser.Header header, MemorySegment data, Arena arena) {
    this.source = source;
    this.metadata = Collections.unmodifiableMap(header.metadata());
    this.entries = header.entries();
    this.data = data;
    this.arena = arena;
  }

  /** Where the file came from (its path, or a resource name), as used in error messages. */
  public String source() {
    return source;
  }

  /** The header's {@code __metadata__} (empty when absent), sorted by key. */
  public Map<String, String> metadata() {
    return metadata;
  }

  /** The tensor names, sorted. */
  public List<String> names() {
    return List.copyOf(entries.keySet());
  }

  public boolean has(String name) {
    return entries.containsKey(name);
  }

  /** The stored dtype name ("F32", "I64", ...). */
  public String dtype(String name) {
    return entry(name).dtype().name();
  }

  public int[] shape(String name) {
    return entry(name).shape().clone();
  }

  /** Whether the file is memory-mapped rather than read into the heap. */
  public boolean isMapped() {
    return data.isMapped();
  }

  /**
   * The stored bytes of a BF16 tensor, elements [from, from + count), as a read-only view (of the
   * mapping, for a mapped file): what bf16 weights decode from without a copy. The view is valid
   * while the file is open, or for as long as it is reachable when the file was opened kept mapped.
   */
  public MemorySegment bf16View(String name, long from, long count) {
    TensorEntry e = entry(name);
    if (e.dtype() != DType.BF16) {
      throw new IllegalArgumentException(source + ": tensor \"" + name + "\" is " + e.dtype() + ", not BF16");
    }
    if (from < 0 || count < 0 || from + count > e.numel()) {
      throw new IndexOutOfBoundsException(source + ": tensor \"" + name + "\" has " + e.numel()
          + " elements; asked for [" + from + ", " + (from + count) + ")");
    }
    return data.asSlice(e.begin() + 2 * from, 2 * count).asReadOnly();
  }

  /** A float tensor: F32 as stored, F16 and BF16 widened exactly, F64 rounded to float32. */
  public Tensor tensor(String name) {
    TensorEntry e = entry(name);
    if (!e.dtype().isFloating()) {
      throw new IllegalArgumentException(source + ": tensor \"" + name + "\" is " + e.dtype()
          + ", not a float type; read it with ints(\"" + name + "\")");
    }
    int n = count(e);
    long at = e.begin();
    float[] out = new float[n];
    switch (e.dtype()) {
      case F32 -> MemorySegment.copy(data, F32, at, out, 0, n);
      case F64 -> {
        double[] d = new double[n];
        MemorySegment.copy(data, F64, at, d, 0, n);
        for (int i = 0; i < n; i++) out[i] = (float) d[i];
      }
      case F16 -> {
        short[] h = new short[n];
        MemorySegment.copy(data, I16, at, h, 0, n);
        for (int i = 0; i < n; i++) out[i] = Float.float16ToFloat(h[i]);
      }
      case BF16 -> {
        short[] h = new short[n];
        MemorySegment.copy(data, I16, at, h, 0, n);
        // bfloat16 is the upper half of a float32: widening is a shift, exact for every value.
        for (int i = 0; i < n; i++) out[i] = Float.intBitsToFloat((h[i] & 0xffff) << 16);
      }
      default -> throw new AssertionError(e.dtype());
    }
    return Tensor.of(out, e.shape());
  }

  /**
   * Copies count consecutive elements of a float tensor, from flat index from, into dst at
   * offset, converting as {@link #tensor} does. Straight from the mapped file into the caller's
   * array: loading a model this way never holds a second copy of a tensor.
   */
  public void readFloats(String name, long from, float[] dst, int offset, int count) {
    TensorEntry e = entry(name);
    if (!e.dtype().isFloating()) {
      throw new IllegalArgumentException(source + ": tensor \"" + name + "\" is " + e.dtype() + ", not a float type");
    }
    if (from < 0 || count < 0 || from + count > e.numel()) {
      throw new IndexOutOfBoundsException(source + ": tensor \"" + name + "\" has " + e.numel()
          + " elements; asked for [" + from + ", " + (from + count) + ")");
    }
    long at = e.begin() + from * e.dtype().size();
    switch (e.dtype()) {
      case F32 -> MemorySegment.copy(data, F32, at, dst, offset, count);
      case F64 -> { for (int i = 0; i < count; i++) dst[offset + i] = (float) data.get(F64, at + 8L * i); }
      case F16 -> { for (int i = 0; i < count; i++) dst[offset + i] = Float.float16ToFloat(data.get(I16, at + 2L * i)); }
      case BF16 -> {
        for (int i = 0; i < count; i++) dst[offset + i] = Float.intBitsToFloat((data.get(I16, at + 2L * i) & 0xffff) << 16);
      }
      default -> throw new AssertionError(e.dtype());
    }
  }

  /** Elements of a tensor (the product of its shape). */
  public long numel(String name) {
    return entry(name).numel();
  }

  /** A U8 or I8 tensor's raw bytes, flattened (packed codes). */
  public byte[] bytes(String name) {
    TensorEntry e = entry(name);
    if (e.dtype() != DType.U8 && e.dtype() != DType.I8) {
      throw new IllegalArgumentException(source + ": tensor \"" + name + "\" is " + e.dtype() + ", expected U8");
    }
    byte[] out = new byte[count(e)];
    MemorySegment.copy(data, ValueLayout.JAVA_BYTE, e.begin(), out, 0, out.length);
    return out;
  }

  /** An int tensor: I64 (each value must fit in an int), I32, I16, I8, U8 or BOOL (0/1). */
  public IntTensor ints(String name) {
    TensorEntry e = entry(name);
    if (e.dtype().isFloating()) {
      throw new IllegalArgumentException(source + ": tensor \"" + name + "\" is " + e.dtype()
          + ", not an integer type; read it with tensor(\"" + name + "\")");
    }
    int n = count(e);
    long at = e.begin();
    int[] out = new int[n];
    switch (e.dtype()) {
      case I32 -> MemorySegment.copy(data, I32, at, out, 0, n);
      case I64 -> {
        long[] l = new long[n];
        MemorySegment.copy(data, I64, at, l, 0, n);
        for (int i = 0; i < n; i++) {
          if (l[i] != (int) l[i]) {
            throw new IllegalArgumentException(source + ": tensor \"" + name + "\" (I64) holds " + l[i]
                + " at flat index " + i + ", outside the int range this library uses for ids");
          }
          out[i] = (int) l[i];
        }
      }
      case I16 -> {
        short[] s = new short[n];
        MemorySegment.copy(data, I16, at, s, 0, n);
        for (int i = 0; i < n; i++) out[i] = s[i];
      }
      case I8 -> { for (int i = 0; i < n; i++) out[i] = data.get(ValueLayout.JAVA_BYTE, at + i); }
      case U8 -> { for (int i = 0; i < n; i++) out[i] = data.get(ValueLayout.JAVA_BYTE, at + i) & 0xff; }
      case BOOL -> { for (int i = 0; i < n; i++) out[i] = data.get(ValueLayout.JAVA_BYTE, at + i) != 0 ? 1 : 0; }
      default -> throw new AssertionError(e.dtype());
    }
    return IntTensor.of(out, e.shape());
  }

  /** Unmaps a mapped file; tensors already read stay valid. */
  @Override
  public void close() {
    if (closed) return;
    closed = true;
    if (arena != null) arena.close();
  }

  private int count(TensorEntry e) {
    long n = e.numel();
    if (n > Integer.MAX_VALUE - 8) {
      throw new IllegalArgumentException(source + ": tensor \"" + e.name() + "\" has " + n
          + " elements, more than a Java array holds");
    }
    return (int) n;
  }

  private TensorEntry entry(String name) {
    if (closed) throw new IllegalStateException(source + " is closed");
    TensorEntry e = entries.get(name);
    if (e == null) {
      throw new IllegalArgumentException(source + ": no tensor \"" + name + "\"; it has " + entries.size()
          + " tensors, e.g. " + suggestions(name));
    }
    return e;
  }

  /** Up to 8 names, those sharing the requested name's last component first. */
  private String suggestions(String name) {
    String last = name.substring(name.lastIndexOf('.') + 1);
    List<String> picked = new ArrayList<>();
    for (String k : entries.keySet()) if (picked.size() < 8 && !last.isEmpty() && k.contains(last)) picked.add(k);
    for (String k : entries.keySet()) if (picked.size() < 8 && !picked.contains(k)) picked.add(k);
    return picked.isEmpty() ? "(none)" : String.join(", ", picked) + (entries.size() > picked.size() ? ", ..." : "");
  }
}
