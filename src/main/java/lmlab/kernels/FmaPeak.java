package lmlab.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The machine's practical FMA ceiling: twelve independent chains of fused multiply-adds on
 * registers, no memory traffic, on every thread at once. A GEMM cannot beat this number; it is
 * what `lmlab bench peak` reports next to `bench gemm`.
 */
public final class FmaPeak {
  private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
  /** Flops of one loop iteration: 12 chains × lanes × 2 (multiply and add). */
  static final long FLOPS_PER_ITERATION = 12L * S.length() * 2;

  private FmaPeak() {}

  /** Runs iterations of the 12-chain loop; returns a value so the JIT cannot drop the work. */
  static float chains(long iterations) {
    FloatVector a = FloatVector.broadcast(S, 1.0000001f);
    FloatVector b = FloatVector.broadcast(S, 0.9999999f);
    FloatVector c0 = b, c1 = b, c2 = b, c3 = b, c4 = b, c5 = b;
    FloatVector c6 = b, c7 = b, c8 = b, c9 = b, c10 = b, c11 = b;
    for (long i = 0; i < iterations; i++) {
      c0 = c0.fma(a, b);
      c1 = c1.fma(a, b);
      c2 = c2.fma(a, b);
      c3 = c3.fma(a, b);
      c4 = c4.fma(a, b);
      c5 = c5.fma(a, b);
      c6 = c6.fma(a, b);
      c7 = c7.fma(a, b);
      c8 = c8.fma(a, b);
      c9 = c9.fma(a, b);
      c10 = c10.fma(a, b);
      c11 = c11.fma(a, b);
    }
    return c0.add(c1).add(c2).add(c3).add(c4).add(c5).add(c6).add(c7).add(c8).add(c9).add(c10).add(c11).lane(0);
  }

  /** GFLOPS of the chains loop run on every pool thread for about the given seconds. */
  public static double gflops(double seconds) {
    chains(20_000_000); // compile the loop before timing it
    long probe = 2_000_000;
    long t0 = System.nanoTime();
    chains(probe);
    double perIteration = Math.max(1e-12, (System.nanoTime() - t0) / 1e9 / probe);
    long iterations = Math.max(probe, (long) (seconds / perIteration));
    int threads = Parallel.threads();
    float[] sink = new float[threads];
    long start = System.nanoTime();
    Parallel.forEachPart(threads, t -> sink[t] = chains(iterations));
    double elapsed = (System.nanoTime() - start) / 1e9;
    if (Float.isNaN(sink[0])) throw new IllegalStateException("FMA probe produced NaN");
    return (double) threads * iterations * FLOPS_PER_ITERATION / elapsed / 1e9;
  }
}
