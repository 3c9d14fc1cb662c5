package lmlab.nn;

import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.nio.file.Path;
import java.util.Locale;
import lmlab.io.Checkpoint;
import lmlab.models.LanguageModel;
import lmlab.models.Models;

/**
 * Measures, in a fresh JVM, the heap a checkpoint load takes: {@code mapped} loads as lmlab does
 * ({@link Models#load}: the model built, then every tensor copied from the memory-mapped file into
 * it); {@code copies} as before the redesign (every tensor read into a state dict of copies, then
 * copied into the model). Prints one JSON line: the model's float32 bytes, the heap peak during
 * the load (the sum over heap pools of each pool's peak usage, from a collected baseline: an upper
 * bound of the true peak), and their ratio. The mapped file itself is off the heap (page cache).
 *
 * <p>Usage: {@code LoadHeapProbe mapped|copies DIR} (run by {@code LoadHeapPeakTest}).
 */
public final class LoadHeapProbe {
  private LoadHeapProbe() {}

  public static void main(String[] args) throws Exception {
    String mode = args[0];
    Path dir = Path.of(args[1]);
    System.gc();
    for (MemoryPoolMXBean p : ManagementFactory.getMemoryPoolMXBeans()) {
      if (p.getType() == MemoryType.HEAP) p.resetPeakUsage();
    }
    long baseline = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
    LanguageModel model;
    if (mode.equals("mapped")) {
      model = Models.load(dir);
    } else {
      Checkpoint.Contents c = Checkpoint.load(dir);
      model = Models.parseConfig(c.config()).uninitialisedModel();
      model.loadStateDict(c.tensors());
    }
    long peak = 0;
    for (MemoryPoolMXBean p : ManagementFactory.getMemoryPoolMXBeans()) {
      if (p.getType() == MemoryType.HEAP) peak += p.getPeakUsage().getUsed();
    }
    long bytes = 4L * model.stateDict().values().stream().mapToLong(t -> t.numel()).sum();
    System.out.printf(Locale.ROOT,
        "{\"mode\": \"%s\", \"parameters\": %d, \"float32_bytes\": %d, \"baseline_heap_bytes\": %d, "
            + "\"peak_heap_bytes\": %d, \"peak_over_float32\": %.3f, \"max_heap_bytes\": %d}%n",
        mode, model.numParameters(), bytes, baseline, peak, (double) peak / bytes, Runtime.getRuntime().maxMemory());
  }
}
