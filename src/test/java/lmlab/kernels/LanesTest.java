package lmlab.kernels;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.DoubleUnaryOperator;
import java.util.function.UnaryOperator;
import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;
import org.junit.jupiter.api.Test;

class LanesTest {
  private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
  private static final int L = F.length();

  /** Error of got against the double reference, in ulps of the float nearest the reference. */
  private static double ulps(float got, double want) {
    if (Double.isNaN(want)) return Float.isNaN(got) ? 0 : Double.POSITIVE_INFINITY;
    if (Double.isInfinite(want) || Float.isInfinite(got)) {
      return (float) want == got ? 0 : Double.POSITIVE_INFINITY;
    }
    double u = Math.ulp((float) want);
    return Math.abs(got - want) / Math.max(u, Float.MIN_VALUE);
  }

  /** Max ulp error over xs, checking vector lanes and the scalar twin agree bit for bit. */
  private static double maxUlps(float[] xs, UnaryOperator<FloatVector> vf, UnaryOperator<Float> sf,
      DoubleUnaryOperator ref) {
    double worst = 0;
    float[] lanes = new float[L];
    float[] out = new float[L];
    for (int i = 0; i < xs.length; i += L) {
      int n = Math.min(L, xs.length - i);
      java.util.Arrays.fill(lanes, 0f);
      System.arraycopy(xs, i, lanes, 0, n);
      vf.apply(FloatVector.fromArray(F, lanes, 0)).intoArray(out, 0);
      for (int j = 0; j < n; j++) {
        float s = sf.apply(lanes[j]);
        if (Float.isNaN(s) && Float.isNaN(out[j])) continue; // NaN payloads are not specified
        assertThat(Float.floatToRawIntBits(out[j])).as("vector vs scalar at %s", lanes[j])
            .isEqualTo(Float.floatToRawIntBits(s));
        double e = ulps(out[j], ref.applyAsDouble(lanes[j]));
        if (!(e <= worst)) worst = e;
        if (e > 4) throw new AssertionError("x=" + lanes[j] + " got " + out[j] + " want " + ref.applyAsDouble(lanes[j]));
      }
    }
    return worst;
  }

  private static float[] points(float lo, float hi, int grid, int random, float... extra) {
    SplittableRandom rng = new SplittableRandom(7);
    float[] xs = new float[grid + random + extra.length];
    for (int i = 0; i < grid; i++) xs[i] = lo + (hi - lo) * i / (grid - 1);
    for (int i = 0; i < random; i++) xs[grid + i] = (float) (lo + (hi - lo) * rng.nextDouble());
    System.arraycopy(extra, 0, xs, grid + random, extra.length);
    return xs;
  }

  @Test
  void expIsWithinTwoUlps() {
    float[] xs = points(-110f, 95f, 200_001, 200_000, 0f, -0f, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY,
        Float.NaN, 88.72283f, 88.72284f, 88.7229f, -87.33654f, -87.4f, -100f, -103.2789f, -103.9721f, -103.98f,
        1e-8f, -1e-8f, Float.MIN_VALUE, 0.34657359f, -0.34657359f);
    double e = maxUlps(xs, Lanes::exp, Lanes::exp, Math::exp);
    System.out.println("Lanes.exp max ulp error: " + e);
    assertThat(e).isLessThanOrEqualTo(2.0);
    assertThat(Lanes.exp(Float.NEGATIVE_INFINITY)).isEqualTo(0f);
    assertThat(Lanes.exp(Float.POSITIVE_INFINITY)).isEqualTo(Float.POSITIVE_INFINITY);
    assertThat(Lanes.exp(89f)).isEqualTo(Float.POSITIVE_INFINITY);
    assertThat(Lanes.exp(Float.NaN)).isNaN();
    assertThat(Lanes.exp(0f)).isEqualTo(1f);
    assertThat(Lanes.exp(-0f)).isEqualTo(1f);
    assertThat(Lanes.exp(-104f)).isEqualTo(0f);
  }

  @Test
  void expNonPositiveHasExpsBitsAboveItsClampAndZeroBelow() {
    SplittableRandom r = new SplittableRandom(7);
    float[] xs = new float[4096];
    for (int i = 0; i < xs.length; i++) xs[i] = (float) (-87.3 * r.nextDouble());
    xs[0] = 0f;
    xs[1] = -0f;
    xs[2] = -87.3f;
    float[] a = new float[L];
    float[] b = new float[L];
    for (int i = 0; i < xs.length; i += L) {
      FloatVector x = FloatVector.fromArray(F, xs, i);
      Lanes.exp(x).intoArray(a, 0);
      Lanes.expNonPositive(x).intoArray(b, 0);
      for (int j = 0; j < L; j++) {
        assertThat(Float.floatToRawIntBits(b[j])).as("x = %s", xs[i + j]).isEqualTo(Float.floatToRawIntBits(a[j]));
      }
    }
    float[] low = {Float.NEGATIVE_INFINITY, -88f, -1000f, -Float.MAX_VALUE, Float.NaN};
    for (float x : low) {
      float got = Lanes.expNonPositive(FloatVector.broadcast(F, x)).lane(L - 1);
      if (Float.isNaN(x)) assertThat(got).isNaN();
      else assertThat(got).as("x = %s", x).isEqualTo(0f);
    }
  }

  @Test
  void tanhIsWithinTwoUlps() {
    float[] xs = points(-12f, 12f, 200_001, 200_000, 0f, -0f, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY,
        Float.NaN, 0.625f, -0.625f, 0.62499994f, 1e-20f, -1e-20f, Float.MIN_VALUE, -Float.MIN_VALUE, 1e-4f, 9f, 50f,
        -50f, Float.MAX_VALUE, -Float.MAX_VALUE);
    double e = maxUlps(xs, Lanes::tanh, Lanes::tanh, Math::tanh);
    System.out.println("Lanes.tanh max ulp error: " + e);
    assertThat(e).isLessThanOrEqualTo(2.0);
    assertThat(Float.floatToRawIntBits(Lanes.tanh(-0f))).isEqualTo(Float.floatToRawIntBits(-0f));
    assertThat(Lanes.tanh(Float.POSITIVE_INFINITY)).isEqualTo(1f);
    assertThat(Lanes.tanh(Float.NEGATIVE_INFINITY)).isEqualTo(-1f);
    assertThat(Lanes.tanh(Float.NaN)).isNaN();
  }

  @Test
  void logIsWithinTwoUlps() {
    SplittableRandom rng = new SplittableRandom(11);
    float[] xs = new float[600_000];
    for (int i = 0; i < 200_000; i++) xs[i] = Float.intBitsToFloat(rng.nextInt(1, 0x7f800000)); // every positive float
    for (int i = 0; i < 200_000; i++) xs[200_000 + i] = 0.5f + 1.5f * i / 199_999; // around 1
    for (int i = 0; i < 200_000; i++) xs[400_000 + i] = (float) (100 * rng.nextDouble());
    float[] extra = {0f, -0f, -1f, -Float.MIN_VALUE, Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY,
        Float.MIN_VALUE, Float.MIN_NORMAL, Math.nextDown(Float.MIN_NORMAL), Float.MAX_VALUE, 1f, Math.nextUp(1f),
        Math.nextDown(1f), 0.70710677f, 0.7071068f, 2f, (float) Math.E};
    float[] all = new float[xs.length + extra.length];
    System.arraycopy(xs, 0, all, 0, xs.length);
    System.arraycopy(extra, 0, all, xs.length, extra.length);
    double e = maxUlps(all, Lanes::log, Lanes::log, Math::log);
    System.out.println("Lanes.log max ulp error: " + e);
    assertThat(e).isLessThanOrEqualTo(2.0);
    assertThat(Lanes.log(0f)).isEqualTo(Float.NEGATIVE_INFINITY);
    assertThat(Lanes.log(-0f)).isEqualTo(Float.NEGATIVE_INFINITY);
    assertThat(Lanes.log(-1f)).isNaN();
    assertThat(Lanes.log(Float.NaN)).isNaN();
    assertThat(Lanes.log(Float.POSITIVE_INFINITY)).isEqualTo(Float.POSITIVE_INFINITY);
    assertThat(Lanes.log(1f)).isEqualTo(0f);
  }

  @Test
  void rowOpsGiveTheSameBitsBeforeAndAfterTheJitCompilesThem() {
    List<float[]> cold = DeterminismProbe.run();
    for (int i = 0; i < 20_000; i++) DeterminismProbe.run();
    List<float[]> warm = DeterminismProbe.run();
    for (int i = 0; i < cold.size(); i++) {
      assertThat(Arrays.equals(cold.get(i), warm.get(i))).as("output %d", i).isTrue();
    }
  }

  @Test
  void anInterpretedJvmGivesTheSameBits() throws Exception {
    for (int i = 0; i < 20_000; i++) DeterminismProbe.run();
    String here = DeterminismProbe.digest(DeterminismProbe.run());
    Path java = Path.of(System.getProperty("java.home"), "bin", "java");
    Process p = new ProcessBuilder(java.toString(), "-Xint", "--add-modules", "jdk.incubator.vector",
        "-cp", System.getProperty("java.class.path"), DeterminismProbe.class.getName())
        .redirectError(ProcessBuilder.Redirect.DISCARD).start();
    String there = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
    assertThat(p.waitFor(5, TimeUnit.MINUTES)).isTrue();
    assertThat(p.exitValue()).isZero();
    assertThat(there).isEqualTo(here);
  }

  @Test
  void sumFollowsTheFixedTree() {
    SplittableRandom rng = new SplittableRandom(3);
    for (int t = 0; t < 1000; t++) {
      float[] a = new float[L];
      for (int i = 0; i < L; i++) a[i] = (float) ((rng.nextDouble() - 0.5) * Math.pow(10, rng.nextInt(-8, 9)));
      assertThat(Lanes.sum(FloatVector.fromArray(F, a, 0))).isEqualTo(Lanes.treeSum(a));
      VectorSpecies<Double> d = DoubleVector.SPECIES_PREFERRED;
      double[] b = new double[d.length()];
      for (int i = 0; i < b.length; i++) b[i] = a[i] * 1.000000001;
      assertThat(Lanes.sum(DoubleVector.fromArray(d, b, 0))).isEqualTo(Lanes.treeSum(b));
    }
    float[] ones = new float[L];
    java.util.Arrays.fill(ones, 1f);
    assertThat(Lanes.sum(FloatVector.fromArray(F, ones, 0))).isEqualTo((float) L);
    // other species take the generic path
    float[] four = {1e8f, 1f, -1e8f, 1f};
    assertThat(Lanes.sum(FloatVector.fromArray(FloatVector.SPECIES_128, four, 0))).isEqualTo(Lanes.treeSum(four));
  }
}
