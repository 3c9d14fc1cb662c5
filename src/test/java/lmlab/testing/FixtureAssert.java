package lmlab.testing;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import lmlab.io.Safetensors;
import lmlab.io.SafetensorsFile;
import lmlab.tensor.IntTensor;
import lmlab.tensor.Shape;
import lmlab.tensor.Tensor;

/**
 * Loading golden fixtures and comparing against them with both rules of the fixtures README:
 * elementwise {@code |a - b| <= atol + rtol |b|} and per tensor
 * {@code ||a - b||_2 <= 1e-4 ||b||_2 + 1e-5 sqrt(n)}. The second rule catches small systematic
 * errors the first lets through, so both always apply.
 */
public final class FixtureAssert {
  public static final double DEFAULT_ATOL = 1e-4;
  public static final double DEFAULT_RTOL = 1e-3;
  static final double NORM_RTOL = 1e-4;
  static final double NORM_ATOL = 1e-5;

  private FixtureAssert() {}

  /**
   * The fixture {@code src/test/resources/fixtures/<name>.safetensors}, from the test classpath
   * or, failing that, from that path under the working directory. Fixtures are small, so they are
   * read into memory: closing the returned file is optional.
   */
  public static SafetensorsFile fixture(String name) {
    String file = name.endsWith(".safetensors") ? name : name + ".safetensors";
    String resource = "/fixtures/" + file;
    URL url = FixtureAssert.class.getResource(resource);
    Path local = Path.of("src", "test", "resources", "fixtures", file);
    try {
      if (url != null && url.getProtocol().equals("file")) return Safetensors.read(Path.of(url.toURI()));
      if (url != null) {
        try (InputStream in = url.openStream()) {
          return Safetensors.read(in.readAllBytes(), resource);
        }
      }
      if (Files.isRegularFile(local)) return Safetensors.read(local);
    } catch (IOException e) {
      throw new UncheckedIOException("fixture " + name + ": " + e.getMessage(), e);
    } catch (URISyntaxException e) {
      throw new IllegalStateException("fixture " + name + ": bad resource URL " + url, e);
    }
    throw new AssertionError("fixture \"" + name + "\" not found: no classpath resource " + resource + " and no file "
        + local.toAbsolutePath() + " (copy it from /work/shared/fixtures into src/test/resources/fixtures)");
  }

  /** Compares actual to the fixture's tensor name with the file's atol/rtol metadata. */
  public static void assertMatchesFixture(SafetensorsFile f, String name, Tensor actual) {
    double atol = metadataDouble(f, "atol", DEFAULT_ATOL);
    double rtol = metadataDouble(f, "rtol", DEFAULT_RTOL);
    assertClose(label(f) + ":" + name, actual, f.tensor(name), atol, rtol);
  }

  /** Integer tensors must match the fixture exactly. */
  public static void assertMatchesFixture(SafetensorsFile f, String name, IntTensor actual) {
    IntTensor expected = f.ints(name);
    String what = label(f) + ":" + name;
    checkShape(what, actual.shape(), expected.shape());
    int[] a = actual.toArray();
    int[] b = expected.toArray();
    for (int i = 0; i < a.length; i++) {
      if (a[i] != b[i]) {
        throw new AssertionError(what + ": element " + index(i, expected.shape()) + " is " + a[i] + ", expected "
            + b[i] + " (integer tensors must match exactly)");
      }
    }
  }

  /** Both tolerance rules with the README defaults atol 1e-4, rtol 1e-3. */
  public static void assertClose(String what, Tensor actual, Tensor expected) {
    assertClose(what, actual, expected, DEFAULT_ATOL, DEFAULT_RTOL);
  }

  /**
   * Both tolerance rules: elementwise {@code |a - b| <= atol + rtol |b|} (infinities and NaNs must
   * match exactly) and {@code ||a - b||_2 <= 1e-4 ||b||_2 + 1e-5 sqrt(n)}, where matching
   * infinities contribute nothing to either norm. Shapes must be equal.
   */
  public static void assertClose(String what, Tensor actual, Tensor expected, double atol, double rtol) {
    checkShape(what, actual.shape(), expected.shape());
    float[] a = actual.toArray();
    float[] b = expected.toArray();
    int[] shape = expected.shape();

    int worst = -1;
    double worstRatio = 0;
    int failures = 0;
    double diff2 = 0;
    double ref2 = 0;
    for (int i = 0; i < a.length; i++) {
      double ai = a[i];
      double bi = b[i];
      if (!Double.isFinite(ai) || !Double.isFinite(bi)) {
        boolean same = ai == bi || (Double.isNaN(ai) && Double.isNaN(bi));
        if (!same) {
          throw new AssertionError(what + ": element " + index(i, shape) + " is " + a[i] + ", expected " + b[i]
              + " (infinities and NaNs must match exactly)");
        }
        continue;
      }
      double d = Math.abs(ai - bi);
      double ratio = d / (atol + rtol * Math.abs(bi));
      if (ratio > 1) failures++;
      if (ratio > worstRatio) {
        worstRatio = ratio;
        worst = i;
      }
      diff2 += d * d;
      ref2 += bi * bi;
    }
    if (failures > 0) {
      throw new AssertionError(String.format(Locale.ROOT,
          "%s: %d of %d elements exceed |a-b| <= atol + rtol*|b| (atol %.3g, rtol %.3g); worst at %s: actual %.9g,"
              + " expected %.9g, |a-b| %.3g is %.3g times the bound %.3g",
          what, failures, a.length, atol, rtol, index(worst, shape), a[worst], b[worst], Math.abs((double) a[worst] - b[worst]),
          worstRatio, atol + rtol * Math.abs((double) b[worst])));
    }
    double diffNorm = Math.sqrt(diff2);
    double refNorm = Math.sqrt(ref2);
    double bound = NORM_RTOL * refNorm + NORM_ATOL * Math.sqrt(a.length);
    if (diffNorm > bound) {
      throw new AssertionError(String.format(Locale.ROOT,
          "%s: ||a-b||_2 = %.4g exceeds 1e-4*||b||_2 + 1e-5*sqrt(n) = %.4g (%.3g times; ||b||_2 = %.4g, n = %d);"
              + " every element passed the elementwise rule (worst %.3g of its bound at %s), so the error is"
              + " small but systematic",
          what, diffNorm, bound, diffNorm / bound, refNorm, a.length, worstRatio, worst < 0 ? "-" : index(worst, shape)));
    }
  }

  private static void checkShape(String what, int[] actual, int[] expected) {
    if (!Arrays.equals(actual, expected)) {
      throw new AssertionError(what + ": shape " + Shape.str(actual) + " differs from the expected shape "
          + Shape.str(expected));
    }
  }

  private static double metadataDouble(SafetensorsFile f, String key, double fallback) {
    String v = f.metadata().get(key);
    if (v == null) return fallback;
    try {
      return Double.parseDouble(v.trim());
    } catch (NumberFormatException e) {
      throw new AssertionError(label(f) + ": metadata " + key + " = \"" + v + "\" is not a number");
    }
  }

  private static String label(SafetensorsFile f) {
    String name = f.metadata().get("fixture");
    return name != null ? name : f.source();
  }

  /** The coordinates of flat index i in a row-major shape, e.g. "(1, 0, 3)". */
  static String index(int flat, int[] shape) {
    int[] idx = new int[shape.length];
    for (int d = shape.length - 1; d >= 0; d--) {
      if (shape[d] == 0) break;
      idx[d] = flat % shape[d];
      flat /= shape[d];
    }
    return Shape.str(idx);
  }
}
