package lmlab.kernels;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * GEMM by OpenBLAS's {@code cblas_sgemm}, called through the Foreign Function &amp; Memory API
 * (no JNI, no native code of ours). Optional: used only when asked for by {@code --blas openblas}
 * or {@code LMLAB_BLAS=openblas}, and then it must be installed (e.g. Debian's
 * libopenblas0-pthread).
 *
 * <p>The float arrays are passed in place as heap segments to a {@linkplain
 * Linker.Option#critical(boolean) critical} downcall, so nothing is copied; that is safe because
 * {@link GemmArgs} has checked every matrix lies inside its array.
 */
public final class OpenBlasGemm implements GemmBackend {
  private static final int ROW_MAJOR = 101; // CBLAS_ORDER.CblasRowMajor
  private static final int NO_TRANS = 111; // CBLAS_TRANSPOSE.CblasNoTrans
  private static final int TRANS = 112; // CBLAS_TRANSPOSE.CblasTrans

  private static volatile OpenBlasGemm loaded;

  private final String library;
  private final MethodHandle sgemm;
  private final MethodHandle setNumThreads;
  private volatile int threadsSet = -1;

  @SuppressWarnings("restricted") // native access is the point; the jar enables it
  private OpenBlasGemm(String library, SymbolLookup lookup) {
    this.library = library;
    Linker linker = Linker.nativeLinker();
    ValueLayout.OfInt i = ValueLayout.JAVA_INT;
    ValueLayout.OfFloat f = ValueLayout.JAVA_FLOAT;
    ValueLayout p = ValueLayout.ADDRESS;
    this.sgemm = linker.downcallHandle(
        lookup.findOrThrow("cblas_sgemm"),
        FunctionDescriptor.ofVoid(i, i, i, i, i, i, f, p, i, p, i, f, p, i),
        Linker.Option.critical(true));
    this.setNumThreads = lookup.find("openblas_set_num_threads")
        .map(s -> linker.downcallHandle(s, FunctionDescriptor.ofVoid(i)))
        .orElse(null);
  }

  /** The library file or name that was loaded. */
  public String library() {
    return library;
  }

  /** True when an OpenBLAS library can be loaded on this machine. */
  public static boolean isAvailable() {
    try {
      load();
      return true;
    } catch (IllegalStateException e) {
      return false;
    }
  }

  /**
   * Loads OpenBLAS once: {@code LMLAB_OPENBLAS_LIB} or {@code -Dlmlab.openblas.lib} when set,
   * else the usual sonames and install paths.
   *
   * @throws IllegalStateException naming every path tried when none loads
   */
  public static OpenBlasGemm load() {
    OpenBlasGemm o = loaded;
    if (o != null) return o;
    synchronized (OpenBlasGemm.class) {
      if (loaded != null) return loaded;
      List<String> tried = new ArrayList<>();
      for (String candidate : candidates()) {
        tried.add(candidate);
        SymbolLookup lookup = open(candidate);
        if (lookup != null && lookup.find("cblas_sgemm").isPresent()) {
          loaded = new OpenBlasGemm(candidate, lookup);
          return loaded;
        }
      }
      throw new IllegalStateException(
          "OpenBLAS was requested but no usable library was found; tried: "
              + String.join(", ", tried)
              + ". Install it (Debian/Ubuntu: apt-get install libopenblas0-pthread) or point "
              + "LMLAB_OPENBLAS_LIB at libopenblas.so.");
    }
  }

  private static List<String> candidates() {
    List<String> c = new ArrayList<>();
    String env = System.getenv("LMLAB_OPENBLAS_LIB");
    String prop = System.getProperty("lmlab.openblas.lib");
    if (env != null && !env.isBlank()) c.add(env.trim());
    if (prop != null && !prop.isBlank()) c.add(prop.trim());
    c.addAll(List.of(
        "libopenblas.so.0",
        "libopenblas.so",
        "/usr/lib/x86_64-linux-gnu/libopenblas.so.0",
        "/usr/lib/x86_64-linux-gnu/openblas-pthread/libopenblas.so.0",
        "/usr/lib/aarch64-linux-gnu/libopenblas.so.0",
        "/usr/lib64/libopenblas.so.0",
        "/usr/lib/libopenblas.so.0",
        "/opt/homebrew/opt/openblas/lib/libopenblas.dylib",
        "/usr/local/opt/openblas/lib/libopenblas.dylib"));
    return c;
  }

  /** A lookup for a path (if the file exists) or a bare soname (via the dynamic linker). */
  @SuppressWarnings("restricted")
  private static SymbolLookup open(String candidate) {
    try {
      if (candidate.contains("/")) {
        Path path = Path.of(candidate);
        return Files.exists(path) ? SymbolLookup.libraryLookup(path, Arena.global()) : null;
      }
      return SymbolLookup.libraryLookup(candidate, Arena.global());
    } catch (IllegalArgumentException | IllegalCallerException e) {
      return null; // not found by the dynamic linker, or native access not enabled
    }
  }

  @Override
  public String name() {
    return "openblas";
  }

  @Override
  public void sgemm(
      boolean transA, boolean transB, int m, int n, int k,
      float[] a, int aOff, int lda,
      float[] b, int bOff, int ldb,
      float[] c, int cOff, int ldc,
      boolean accumulate) {
    GemmArgs.check(transA, transB, m, n, k, a, aOff, lda, b, bOff, ldb, c, cOff, ldc);
    if (m == 0 || n == 0) return;
    if (k == 0) { // nothing to multiply; A and B may not even be addressable
      if (!accumulate) {
        for (int i = 0; i < m; i++) java.util.Arrays.fill(c, cOff + i * ldc, cOff + i * ldc + n, 0f);
      }
      return;
    }
    syncThreads();
    // BLAS demands ld >= max(1, stored columns) even where a single row makes it irrelevant.
    int ldaFixed = Math.max(lda, Math.max(1, transA ? m : k));
    int ldbFixed = Math.max(ldb, Math.max(1, transB ? k : n));
    int ldcFixed = Math.max(ldc, Math.max(1, n));
    try {
      sgemm.invokeExact(
          ROW_MAJOR, transA ? TRANS : NO_TRANS, transB ? TRANS : NO_TRANS, m, n, k, 1f,
          slice(a, aOff), ldaFixed, slice(b, bOff), ldbFixed, accumulate ? 1f : 0f,
          slice(c, cOff), ldcFixed);
    } catch (Throwable t) {
      throw new IllegalStateException("cblas_sgemm failed: " + t, t);
    }
  }

  @Override
  public void sgemmBatched(
      boolean transA, boolean transB, int m, int n, int k,
      float[] a, int[] aOffs, int lda,
      float[] b, int[] bOffs, int ldb,
      float[] c, int[] cOffs, int ldc,
      boolean accumulate) {
    GemmArgs.checkBatch(aOffs, bOffs, cOffs);
    for (int i = 0; i < cOffs.length; i++) {
      sgemm(transA, transB, m, n, k, a, aOffs[i], lda, b, bOffs[i], ldb, c, cOffs[i], ldc, accumulate);
    }
  }

  /** OpenBLAS keeps its own thread pool; size it like ours so --threads means the same. */
  private void syncThreads() {
    int t = Parallel.threads();
    if (t != threadsSet && setNumThreads != null) {
      try {
        setNumThreads.invokeExact(t);
      } catch (Throwable e) {
        throw new IllegalStateException("openblas_set_num_threads failed: " + e, e);
      }
      threadsSet = t;
    }
  }

  private static MemorySegment slice(float[] x, int off) {
    return MemorySegment.ofArray(x).asSlice((long) off * Float.BYTES);
  }
}
