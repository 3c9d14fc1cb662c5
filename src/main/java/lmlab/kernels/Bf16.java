package lmlab.kernels;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * bfloat16: the upper 16 bits of a float32 (sign, the same 8 exponent bits, 7 mantissa bits), the
 * format of Hugging Face's bf16 checkpoints. Widening is exact (a shift); narrowing rounds to
 * nearest, ties to even, as PyTorch's {@code tensor.to(torch.bfloat16)} (c10's
 * {@code round_to_nearest_even}), keeping NaN a NaN. Values are stored little-endian, two bytes
 * each, in a {@link MemorySegment}: a memory-mapped checkpoint, or native memory holding values
 * rounded from float32.
 */
public final class Bf16 {
  public static final ValueLayout.OfShort LAYOUT = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

  static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
  static final int L = F.length();
  /** L shorts: half the width of the float species, widened lane for lane. */
  static final VectorSpecies<Short> H = VectorSpecies.of(short.class, VectorShape.forBitSize(16 * L));
  static final VectorSpecies<Integer> I = VectorSpecies.of(int.class, F.vectorShape());

  private Bf16() {}

  /** The float32 a bfloat16 stands for (exact). */
  public static float toFloat(short bits) {
    return Float.intBitsToFloat((bits & 0xffff) << 16);
  }

  /** The nearest bfloat16 (ties to even); NaN stays a quiet NaN of the same sign. */
  public static short fromFloat(float f) {
    int b = Float.floatToRawIntBits(f);
    if ((b & 0x7fffffff) > 0x7f800000) return (short) ((b >>> 16) | 0x40); // NaN: keep it one
    int lsb = (b >>> 16) & 1;
    return (short) ((b + 0x7fff + lsb) >>> 16);
  }

  /**
   * n floats rounded into a new segment of n bfloat16 values, off the heap (an automatic arena: freed
   * when unreachable). Not a heap segment: the Vector API reads a byte[] segment through a slow path.
   */
  public static MemorySegment round(float[] src, int off, int n) {
    MemorySegment seg = Arena.ofAuto().allocate(2L * n, 64);
    for (int i = 0; i < n; i++) seg.set(LAYOUT, 2L * i, fromFloat(src[off + i]));
    return seg;
  }

  /**
   * {@link #fromFloat} lane by lane: each lane's bfloat16 bits in its low 16 bits (the high 16
   * zero). x + 0x7fff + (the kept lowest bit) carries into the kept bits exactly when the dropped
   * ones are above half, or half with the kept value odd; NaN lanes keep their top bits, quieted.
   */
  public static IntVector roundBits(FloatVector f) {
    IntVector b = f.reinterpretAsInts();
    IntVector top = b.lanewise(VectorOperators.LSHR, 16);
    IntVector rounded = b.add(0x7fff).add(top.and(1)).lanewise(VectorOperators.LSHR, 16);
    return rounded.blend(top.or(0x40), b.and(0x7fffffff).compare(VectorOperators.GT, 0x7f800000));
  }

  /** L bfloat16 values at byte offset at of seg, widened to floats. */
  public static FloatVector load(MemorySegment seg, long at) {
    ShortVector h = ShortVector.fromMemorySegment(H, seg, at, ByteOrder.LITTLE_ENDIAN);
    IntVector i = (IntVector) h.convertShape(VectorOperators.S2I, I, 0); // sign-extended; the shift drops it
    return i.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
  }

  /** The lanes of a float vector (the widening kernels work in steps of this many values). */
  public static int lanes() {
    return L;
  }

  /** Widens n values of seg from element index from into dst at off. */
  public static void widen(MemorySegment seg, long from, float[] dst, int off, int n) {
    int nv = n - n % L;
    long at = 2 * from;
    int i = 0;
    for (; i < nv; i += L) load(seg, at + 2L * i).intoArray(dst, off + i);
    for (; i < n; i++) dst[off + i] = toFloat(seg.get(LAYOUT, at + 2L * i));
  }

  /** A sum over n values from element from (reads them into the caches). */
  public static float sum(MemorySegment seg, long from, long n) {
    long nv = n - n % (2L * L);
    long at = 2 * from;
    FloatVector a = FloatVector.zero(F);
    // two bf16 lanes per float lane: read as ints, reinterpret (the value does not matter, the read does)
    for (long p = 0; p < nv; p += 2L * L) {
      a = a.add(IntVector.fromMemorySegment(I, seg, at + 2 * p, ByteOrder.LITTLE_ENDIAN).reinterpretAsFloats());
    }
    float s = Lanes.sum(a);
    for (long p = nv; p < n; p++) s += seg.get(LAYOUT, at + 2 * p);
    return s;
  }
}
