package lmlab.cli;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/** SIGINT / SIGTERM handlers for long-running commands (sweeps); the previous handlers are restored after. */
final class Signals {
  private Signals() {}

  /** Installs handler (given the signal's name) for INT and TERM; returns what {@link #restore} needs. */
  static List<Object[]> install(Consumer<String> handler) {
    List<Object[]> previous = new ArrayList<>();
    for (String name : List.of("INT", "TERM")) {
      try {
        sun.misc.Signal sig = new sun.misc.Signal(name);
        sun.misc.SignalHandler old = sun.misc.Signal.handle(sig, s -> handler.accept(s.getName()));
        previous.add(new Object[] {sig, old});
      } catch (IllegalArgumentException | UnsupportedOperationException e) {
        // the platform does not have this signal, or the JVM reserved it
      }
    }
    return previous;
  }

  static void restore(List<Object[]> previous) {
    for (Object[] p : previous) sun.misc.Signal.handle((sun.misc.Signal) p[0], (sun.misc.SignalHandler) p[1]);
  }
}
