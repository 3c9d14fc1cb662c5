package lmlab.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The packed SGEMM's register tile for vectors narrower than 512 bits: {@link #MR} rows × two
 * vectors of the preferred species, 4×16 floats on AVX2. Same contract as {@link
 * GemmMicroKernel}'s 512-bit tile, with A always a packed panel ({@link PackedGemm} packs A in
 * both layouts for this tile).
 *
 * <p>Why 4 rows and not BLIS's 6×16 (bli_sgemm_haswell_asm_6x16, Van Zee &amp; van de Geijn
 * 2015): BLIS's assembly issues each broadcast just before its two FMAs, so 12 accumulators + 2 B
 * vectors + 1 broadcast fit the 16 ymm registers. C2 schedules every load of an iteration first
 * (all MR broadcasts and both B vectors are live at once), so a tile needs MR·2 + MR + 2
 * registers: 6×16 needs 20 and C2 keeps two accumulators on the stack, whose store-to-load
 * round trip then sits in their FMA chains (the 6×16 tile ran at half the speed of this one);
 * 5×16 needs 17 and still spills one. 4×16 needs 14: 8 independent FMA chains, exactly the 2 FMA
 * ports × 4 cycles of latency that must be in flight, fed by 2 loads and 4 broadcasts from L1.
 * To check the tile after a change, print its code
 * ({@code -XX:+UnlockDiagnosticVMOptions -XX:CompileCommand=print,lmlab.kernels.NativeWidthKernel::kernel})
 * and look for {@code (%rsp)} inside the loop.
 *
 * <p>Written out by hand for the same reason as the 512-bit kernels: a helper taking vectors
 * that C2 does not inline boxes them.
 */
final class NativeWidthKernel {
  static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
  static final int L = S.length();
  /** Rows of the tile. */
  static final int MR = 4;
  /** Columns of the tile: two vectors. */
  static final int NR = 2 * L;

  private NativeWidthKernel() {}

  /**
   * C[0..MR)[0..NR) (row stride ldc, from ci) = (add ? C : 0) + A·Bp over kc steps, with A a
   * packed MR×kc panel at ap[ai..] ({@code ap[p*MR + i]}) and B a packed kc×NR panel at bp[bi..].
   */
  static void kernel(
      int kc, float[] ap, int ai, float[] bp, int bi, float[] c, int ci, int ldc, boolean add) {
    FloatVector c00 = FloatVector.zero(S), c01 = c00;
    FloatVector c10 = c00, c11 = c00;
    FloatVector c20 = c00, c21 = c00;
    FloatVector c30 = c00, c31 = c00;
    for (int p = 0; p < kc; p++) {
      int b = bi + p * NR;
      FloatVector b0 = FloatVector.fromArray(S, bp, b);
      FloatVector b1 = FloatVector.fromArray(S, bp, b + L);
      FloatVector av = FloatVector.broadcast(S, ap[ai + p * MR]);
      c00 = b0.fma(av, c00);
      c01 = b1.fma(av, c01);
      av = FloatVector.broadcast(S, ap[ai + p * MR + 1]);
      c10 = b0.fma(av, c10);
      c11 = b1.fma(av, c11);
      av = FloatVector.broadcast(S, ap[ai + p * MR + 2]);
      c20 = b0.fma(av, c20);
      c21 = b1.fma(av, c21);
      av = FloatVector.broadcast(S, ap[ai + p * MR + 3]);
      c30 = b0.fma(av, c30);
      c31 = b1.fma(av, c31);
    }
    if (add) {
      c00 = c00.add(FloatVector.fromArray(S, c, ci));
      c01 = c01.add(FloatVector.fromArray(S, c, ci + L));
      c10 = c10.add(FloatVector.fromArray(S, c, ci + ldc));
      c11 = c11.add(FloatVector.fromArray(S, c, ci + ldc + L));
      c20 = c20.add(FloatVector.fromArray(S, c, ci + 2 * ldc));
      c21 = c21.add(FloatVector.fromArray(S, c, ci + 2 * ldc + L));
      c30 = c30.add(FloatVector.fromArray(S, c, ci + 3 * ldc));
      c31 = c31.add(FloatVector.fromArray(S, c, ci + 3 * ldc + L));
    }
    c00.intoArray(c, ci);
    c01.intoArray(c, ci + L);
    c10.intoArray(c, ci + ldc);
    c11.intoArray(c, ci + ldc + L);
    c20.intoArray(c, ci + 2 * ldc);
    c21.intoArray(c, ci + 2 * ldc + L);
    c30.intoArray(c, ci + 3 * ldc);
    c31.intoArray(c, ci + 3 * ldc + L);
  }
}
