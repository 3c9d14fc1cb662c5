package lmlab.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * A 16 × 16 float block transposed through sixteen 512-bit registers: GEMM's packing of a stored
 * B panel ({@link GemmPacking}) and attention's per-head transposes ({@code
 * nn.attention.TileProducts}) share it. Callers check {@code FloatVector.SPECIES_PREFERRED.length()
 * == 16} and transpose column by column otherwise.
 */
public final class Transpose16 {
  private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
  private static final int L = S.length();

  private Transpose16() {}

  /**
   * The 16 × 16 block of x at src (rows ld apart) into t at d (rows ldt apart), transposed: 16
   * rows loaded as vectors, then four rounds of zipping row i with row i + 8 (a two-vector
   * selectFrom, one permute each) leave column c of the block in vector c. Named ...Block so the
   * inline directive compiles it on its own (its 32 live vectors would count against the inlining
   * budget of the loop that calls it). Needs 16-lane vectors.
   */
  public static void transposeBlock(float[] x, int src, int ld, float[] t, int d, int ldt) {
    FloatVector r0 = FloatVector.fromArray(S, x, src), r1 = FloatVector.fromArray(S, x, src + ld);
    FloatVector r2 = FloatVector.fromArray(S, x, src + 2 * ld), r3 = FloatVector.fromArray(S, x, src + 3 * ld);
    FloatVector r4 = FloatVector.fromArray(S, x, src + 4 * ld), r5 = FloatVector.fromArray(S, x, src + 5 * ld);
    FloatVector r6 = FloatVector.fromArray(S, x, src + 6 * ld), r7 = FloatVector.fromArray(S, x, src + 7 * ld);
    FloatVector r8 = FloatVector.fromArray(S, x, src + 8 * ld), r9 = FloatVector.fromArray(S, x, src + 9 * ld);
    FloatVector r10 = FloatVector.fromArray(S, x, src + 10 * ld), r11 = FloatVector.fromArray(S, x, src + 11 * ld);
    FloatVector r12 = FloatVector.fromArray(S, x, src + 12 * ld), r13 = FloatVector.fromArray(S, x, src + 13 * ld);
    FloatVector r14 = FloatVector.fromArray(S, x, src + 14 * ld), r15 = FloatVector.fromArray(S, x, src + 15 * ld);
    FloatVector s0 = ZIP_LO.selectFrom(r0, r8), s1 = ZIP_HI.selectFrom(r0, r8);
    FloatVector s2 = ZIP_LO.selectFrom(r1, r9), s3 = ZIP_HI.selectFrom(r1, r9);
    FloatVector s4 = ZIP_LO.selectFrom(r2, r10), s5 = ZIP_HI.selectFrom(r2, r10);
    FloatVector s6 = ZIP_LO.selectFrom(r3, r11), s7 = ZIP_HI.selectFrom(r3, r11);
    FloatVector s8 = ZIP_LO.selectFrom(r4, r12), s9 = ZIP_HI.selectFrom(r4, r12);
    FloatVector s10 = ZIP_LO.selectFrom(r5, r13), s11 = ZIP_HI.selectFrom(r5, r13);
    FloatVector s12 = ZIP_LO.selectFrom(r6, r14), s13 = ZIP_HI.selectFrom(r6, r14);
    FloatVector s14 = ZIP_LO.selectFrom(r7, r15), s15 = ZIP_HI.selectFrom(r7, r15);
    FloatVector t0 = ZIP_LO.selectFrom(s0, s8), t1 = ZIP_HI.selectFrom(s0, s8);
    FloatVector t2 = ZIP_LO.selectFrom(s1, s9), t3 = ZIP_HI.selectFrom(s1, s9);
    FloatVector t4 = ZIP_LO.selectFrom(s2, s10), t5 = ZIP_HI.selectFrom(s2, s10);
    FloatVector t6 = ZIP_LO.selectFrom(s3, s11), t7 = ZIP_HI.selectFrom(s3, s11);
    FloatVector t8 = ZIP_LO.selectFrom(s4, s12), t9 = ZIP_HI.selectFrom(s4, s12);
    FloatVector t10 = ZIP_LO.selectFrom(s5, s13), t11 = ZIP_HI.selectFrom(s5, s13);
    FloatVector t12 = ZIP_LO.selectFrom(s6, s14), t13 = ZIP_HI.selectFrom(s6, s14);
    FloatVector t14 = ZIP_LO.selectFrom(s7, s15), t15 = ZIP_HI.selectFrom(s7, s15);
    FloatVector u0 = ZIP_LO.selectFrom(t0, t8), u1 = ZIP_HI.selectFrom(t0, t8);
    FloatVector u2 = ZIP_LO.selectFrom(t1, t9), u3 = ZIP_HI.selectFrom(t1, t9);
    FloatVector u4 = ZIP_LO.selectFrom(t2, t10), u5 = ZIP_HI.selectFrom(t2, t10);
    FloatVector u6 = ZIP_LO.selectFrom(t3, t11), u7 = ZIP_HI.selectFrom(t3, t11);
    FloatVector u8 = ZIP_LO.selectFrom(t4, t12), u9 = ZIP_HI.selectFrom(t4, t12);
    FloatVector u10 = ZIP_LO.selectFrom(t5, t13), u11 = ZIP_HI.selectFrom(t5, t13);
    FloatVector u12 = ZIP_LO.selectFrom(t6, t14), u13 = ZIP_HI.selectFrom(t6, t14);
    FloatVector u14 = ZIP_LO.selectFrom(t7, t15), u15 = ZIP_HI.selectFrom(t7, t15);
    ZIP_LO.selectFrom(u0, u8).intoArray(t, d);
    ZIP_HI.selectFrom(u0, u8).intoArray(t, d + ldt);
    ZIP_LO.selectFrom(u1, u9).intoArray(t, d + 2 * ldt);
    ZIP_HI.selectFrom(u1, u9).intoArray(t, d + 3 * ldt);
    ZIP_LO.selectFrom(u2, u10).intoArray(t, d + 4 * ldt);
    ZIP_HI.selectFrom(u2, u10).intoArray(t, d + 5 * ldt);
    ZIP_LO.selectFrom(u3, u11).intoArray(t, d + 6 * ldt);
    ZIP_HI.selectFrom(u3, u11).intoArray(t, d + 7 * ldt);
    ZIP_LO.selectFrom(u4, u12).intoArray(t, d + 8 * ldt);
    ZIP_HI.selectFrom(u4, u12).intoArray(t, d + 9 * ldt);
    ZIP_LO.selectFrom(u5, u13).intoArray(t, d + 10 * ldt);
    ZIP_HI.selectFrom(u5, u13).intoArray(t, d + 11 * ldt);
    ZIP_LO.selectFrom(u6, u14).intoArray(t, d + 12 * ldt);
    ZIP_HI.selectFrom(u6, u14).intoArray(t, d + 13 * ldt);
    ZIP_LO.selectFrom(u7, u15).intoArray(t, d + 14 * ldt);
    ZIP_HI.selectFrom(u7, u15).intoArray(t, d + 15 * ldt);
  }

  /** Zip index vectors: the low (ZIP_LO) or high (ZIP_HI) halves of a and b, interleaved. */
  private static final FloatVector ZIP_LO = zipIndex(0), ZIP_HI = zipIndex(L / 2);

  private static FloatVector zipIndex(int from) {
    float[] idx = new float[L];
    for (int i = 0; i < L; i++) idx[i] = i % 2 == 0 ? from + i / 2 : L + from + i / 2;
    return FloatVector.fromArray(S, idx, 0);
  }
}
