package lmlab.runs;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.List;

/**
 * The built-in experiments of experiments.md (Mila IFT6135 HW2, Problem 4) and text.md (CMU 10-423
 * HW1, the char-* sweeps), each a sweep
 * description under src/main/resources/lmlab/experiments/&lt;name&gt;.json. grok-all is every
 * sweep in {@link #ALL_OF}, each in its own runs/&lt;name&gt;.
 */
public final class Experiments {
  /** The sweeps, in report order. */
  public static final List<String> SWEEPS = List.of("grok-sanity", "grok-data", "grok-orders", "grok-size",
      "grok-compute", "grok-wd");
  /** The experiments grok-all runs. */
  public static final List<String> ALL_OF = SWEEPS;
  /** The character-level experiments of text.md (CMU 10-423 HW1). */
  public static final List<String> TEXT = List.of("char-rope", "char-context", "char-gqa", "char-2026");
  /** Every built-in sweep: the grok ones, then the char ones. */
  public static final List<String> BUILT_INS = java.util.stream.Stream.concat(SWEEPS.stream(), TEXT.stream()).toList();

  private Experiments() {}

  /** Whether name is a built-in sweep. */
  public static boolean isSweep(String name) {
    return BUILT_INS.contains(name);
  }

  /** The description of a built-in sweep. */
  public static Sweep sweep(String name) {
    if (!isSweep(name)) {
      throw new IllegalArgumentException("no built-in experiment '" + name + "'; built-ins: " + String.join(", ", BUILT_INS)
          + ", grok-all");
    }
    try (InputStream in = Experiments.class.getResourceAsStream("/lmlab/experiments/" + name + ".json")) {
      if (in == null) throw new IllegalStateException("the built-in experiment " + name + " is missing from the jar");
      JsonNode n = Sweep.JSON.readTree(in);
      return Sweep.parse(n, "built-in experiment " + name);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
