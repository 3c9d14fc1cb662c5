package lmlab.tensor;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/** Contiguous-array loops on the Vector API (the preferred species: 512-bit on AVX-512). */
public final class VectorMath {
  static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;

  private VectorMath() {}

  /** a[ao..ao+n) += b[bo..bo+n) */
  public static void addInPlace(float[] a, int ao, float[] b, int bo, int n) {
    int i = 0;
    int bound = F.loopBound(n);
    for (; i < bound; i += F.length()) {
      FloatVector.fromArray(F, a, ao + i).add(FloatVector.fromArray(F, b, bo + i)).intoArray(a, ao + i);
    }
    for (; i < n; i++) a[ao + i] += b[bo + i];
  }
}
