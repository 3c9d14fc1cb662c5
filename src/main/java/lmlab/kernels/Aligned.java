package lmlab.kernels;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;

/**
 * Where a float array's first cache-line-aligned element is. A 512-bit load that crosses a cache
 * line costs two line accesses, so a kernel streaming vectors from an array whose vectors all
 * straddle lines (every array but one in eight, at HotSpot's default 8-byte object alignment)
 * reads markedly slower from L2 and L3 than from the same data on line boundaries (README,
 * "Aligned weights and KV pages"). Java places arrays where it likes and the collector moves
 * them; the launcher therefore runs with {@code -XX:ObjectAlignmentInBytes=64}, under which every
 * object starts on a cache line and keeps that alignment when moved, so the offset found here when
 * an array is made holds for its whole life. Without the flag it holds until the array first
 * moves: only speed depends on it, never a result.
 *
 * <p>The address is read through a {@linkplain Linker.Option#critical(boolean) critical} downcall of
 * the C library's {@code memmove(a, a, 0)}, which moves nothing and returns its destination (the
 * Foreign Function &amp; Memory API; no native code of ours).
 */
public final class Aligned {
  /** Floats in a cache line: offsets are in [0, LINE). */
  public static final int LINE = 16;
  private static final MethodHandle MEMMOVE = memmove();

  private Aligned() {}

  @SuppressWarnings("restricted") // reads an address; the launcher and the tests enable native access
  private static MethodHandle memmove() {
    try {
      Linker linker = Linker.nativeLinker();
      return linker.downcallHandle(linker.defaultLookup().findOrThrow("memmove"),
          FunctionDescriptor.of(ValueLayout.ADDRESS, ValueLayout.ADDRESS, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG),
          Linker.Option.critical(true));
    } catch (RuntimeException | LinkageError e) {
      return null; // no C library to ask: offset() answers 0, as if aligned
    }
  }

  /** The address of a[0] modulo 64 (bytes), or -1 when it cannot be read here. */
  static int lineOffsetBytes(float[] a) {
    return a.length == 0 ? -1 : lineOffsetBytes(MemorySegment.ofArray(a));
  }

  /** The address of a heap array segment's first element modulo 64 (bytes), or -1. */
  private static int lineOffsetBytes(MemorySegment s) {
    if (MEMMOVE == null) return -1;
    try {
      MemorySegment at = (MemorySegment) MEMMOVE.invokeExact(s, s, 0L);
      return (int) (at.address() & 63);
    } catch (Throwable t) {
      return -1;
    }
  }

  /**
   * The first index i in [0, {@link #LINE}) with a[i] on a cache line boundary: allocate
   * {@code LINE - 1} floats more and start the data there. 0 when the address cannot be read.
   * Call it once, when the array is made, and keep the answer: the collector may move the array
   * later (without the launcher's alignment flag), and a second call would then name another index
   * than the one the data was written at.
   */
  public static int offset(float[] a) {
    return Math.max(0, firstOnLine(a));
  }

  /** As {@link #offset}, but -1 when the address cannot be read (or a float is not on a 4-byte boundary). */
  static int firstOnLine(float[] a) {
    int b = lineOffsetBytes(a);
    if (b < 0 || (b & 3) != 0) return -1;
    return ((64 - b) & 63) / Float.BYTES;
  }

  /**
   * The short-array form of {@link #offset(float[])}: the first index i in [0, {@link #SHORT_LINE})
   * with a[i] on a cache line boundary (allocate {@code SHORT_LINE - 1} shorts more); 0 when the
   * address cannot be read. bfloat16 KV pages use it.
   */
  public static int offset(short[] a) {
    int b = a.length == 0 ? -1 : lineOffsetBytes(MemorySegment.ofArray(a));
    if (b < 0 || (b & 1) != 0) return 0;
    return ((64 - b) & 63) / Short.BYTES;
  }

  /** Shorts in a cache line. */
  public static final int SHORT_LINE = 32;
}
