package lmlab.serve;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * Turns token bytes into text increments for a response: only complete UTF-8 characters leave
 * (a token may end inside one), and text that may be the start of a stop string is held back
 * until it is known not to be one, so a stop string split across tokens never leaks into a
 * stream. The concatenated increments equal the final text.
 */
final class TextAssembler {
  private final List<String> stops;
  private final int longestStop;
  private final ByteArrayOutputStream pending = new ByteArrayOutputStream();
  private final StringBuilder text = new StringBuilder();
  private int emitted;
  private boolean stopped;

  TextAssembler(List<String> stops) {
    this.stops = stops;
    this.longestStop = stops.stream().mapToInt(String::length).max().orElse(0);
  }

  /** Adds a token's bytes; returns the text that can be sent now (possibly empty). */
  String push(byte[] bytes) {
    if (stopped) return "";
    pending.writeBytes(bytes);
    byte[] p = pending.toByteArray();
    int complete = completePrefix(p);
    if (complete > 0) {
      text.append(new String(p, 0, complete, StandardCharsets.UTF_8));
      pending.reset();
      pending.write(p, complete, p.length - complete);
    }
    return release(false);
  }

  /** At the end: everything not yet sent (an incomplete character becomes U+FFFD). */
  String finish() {
    if (!stopped && pending.size() > 0) {
      text.append(new String(pending.toByteArray(), StandardCharsets.UTF_8));
      pending.reset();
    }
    return release(true);
  }

  boolean stopped() {
    return stopped;
  }

  /** The final text (up to, not including, a stop string). */
  String text() {
    return text.toString();
  }

  private String release(boolean all) {
    if (!stopped && !stops.isEmpty()) {
      int from = Math.max(0, emitted - longestStop);
      int at = -1;
      for (String s : stops) {
        int i = text.indexOf(s, from);
        if (i >= 0 && (at < 0 || i < at)) at = i;
      }
      if (at >= 0) {
        stopped = true;
        text.setLength(at);
        String out = text.substring(Math.min(emitted, at));
        emitted = text.length();
        return out;
      }
    }
    int end = text.length();
    if (!all && !stopped) end -= heldForStop();
    if (end <= emitted) return "";
    String out = text.substring(emitted, end);
    emitted = end;
    return out;
  }

  /** Length of the longest suffix of the text that is a proper prefix of a stop string. */
  private int heldForStop() {
    int best = 0;
    for (String s : stops)
      for (int k = Math.min(s.length() - 1, text.length()); k > best; k--)
        if (text.substring(text.length() - k).equals(s.substring(0, k))) {
          best = k;
          break;
        }
    return best;
  }

  /** Bytes of {@code b} that form complete UTF-8 characters (an incomplete tail is held). */
  static int completePrefix(byte[] b) {
    int n = b.length;
    for (int back = 1; back <= Math.min(3, n); back++) {
      int x = b[n - back] & 0xFF;
      if ((x & 0xC0) == 0x80) continue; // continuation byte: look further back
      int need = x >= 0xF0 ? 4 : x >= 0xE0 ? 3 : x >= 0xC0 ? 2 : 1;
      return need > back ? n - back : n;
    }
    return n;
  }
}
