package lmlab.kernels;

import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.management.ObjectName;

/**
 * Asks HotSpot's C2 to always inline {@link Lanes} into lmlab code, and never to inline a
 * kernel's register block ({@code ...Block}) or the decoding step of a layer or model ({@code step}
 * in lmlab.nn and lmlab.models) into its caller,
 * through a compiler directive added at run time (the DiagnosticCommand MBean's
 * compilerDirectivesAdd, the same as {@code jcmd <pid> Compiler.directives_add}).
 *
 * <p>Lanes' vector functions take and return vectors. Inlined, those stay in registers; called,
 * they are boxed on the heap. C2 declines to inline them once they have been compiled on their own
 * into big methods (InlineSmallCode) or when a call site looks cold, and the JDK's own
 * {@code @ForceInline} is not honoured outside the JDK. Without the directive the row ops run up
 * to about 2x slower; results are the same bits either way (inlining changes no rounding).
 *
 * <p>The other way round, methods named {@code ...Block} (a kernel's register block: a loop over
 * a dozen vector accumulators, e.g. {@code nn.attention.TileProducts}) are never inlined. Each is
 * then compiled on its own, within C2's inlining budget; inlined into a large caller, C2 runs out
 * of budget and leaves some of their vectors boxed (gigabytes of garbage per training step).
 *
 * <p>The steps: a decoding step calls every layer's step, each of them kernels that inline Lanes.
 * Left to itself C2 may compile the model's step with all of it inlined (one 61 KB method) and
 * reach its node budget (NodeCountInliningCutoff) in the middle of a kernel, which then calls
 * Lanes.exp with boxed vectors at every vector (GELU's tanh, seen in a profile of beam search);
 * whether that happens depends on which methods were compiled first, so the same command ran at
 * two speeds from one process to the next. A step compiled on its own keeps each compilation
 * small; the call of a step costs nanoseconds against microseconds of work.
 * Set {@code -Dlmlab.inlineDirective=false} to skip it.
 */
final class InlineDirective {
  private static final String JSON = "[{match: \"lmlab/*.*\", inline: [\"+lmlab/kernels/Lanes.*\","
      + " \"-lmlab/*.*Block\", \"-lmlab/nn/*.step\", \"-lmlab/models/*.step\"]}]";

  private InlineDirective() {}

  /** Adds the directive once; failures (another VM, no management module) are ignored. */
  static void install() {
    if (!Boolean.parseBoolean(System.getProperty("lmlab.inlineDirective", "true"))) return;
    Path f = null;
    try {
      f = Files.createTempFile("lmlab-inline", ".json");
      Files.writeString(f, JSON);
      ManagementFactory.getPlatformMBeanServer().invoke(
          new ObjectName("com.sun.management:type=DiagnosticCommand"), "compilerDirectivesAdd",
          new Object[] {new String[] {f.toString()}}, new String[] {String[].class.getName()});
    } catch (Exception | LinkageError e) {
      // only speed depends on it
    } finally {
      if (f != null) {
        try {
          Files.deleteIfExists(f);
        } catch (Exception e) {
          // a leftover temporary file
        }
      }
    }
  }
}
