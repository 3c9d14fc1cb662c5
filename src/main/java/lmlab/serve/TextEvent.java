package lmlab.serve;

import com.fasterxml.jackson.core.io.JsonStringEncoder;
import java.util.function.Function;

/**
 * An event whose only varying field is one JSON string, kept as the two fixed halves around
 * that string's quoted contents: made once from the event serialised with a marker text, then
 * each event costs an escape of its text instead of a JSON tree built and written (a batched
 * step hands eight text events; its worker's time is the next step's). The text is escaped by
 * Jackson's own encoder, so the bytes are those the tree would give.
 */
record TextEvent(String before, String after) {
  /** A text between two NUL characters, which JSON escapes and no other field of an event holds. */
  private static final String MARKER = "\u0000text\u0000";

  /** The halves of event(text), which must hold text exactly once, as a JSON string. */
  static TextEvent of(Function<String, String> event) {
    String e = event.apply(MARKER);
    String quoted = new String(JsonStringEncoder.getInstance().quoteAsString(MARKER));
    int at = e.indexOf('"' + quoted + '"');
    if (at < 0 || e.indexOf(quoted, at + 1 + quoted.length()) >= 0) {
      throw new IllegalStateException("event template holds its text not once as a JSON string: " + e);
    }
    return new TextEvent(e.substring(0, at + 1), e.substring(at + 1 + quoted.length()));
  }

  /** The event with text in place of the marker. */
  String with(String text) {
    StringBuilder b = new StringBuilder(before.length() + text.length() + after.length() + 8);
    b.append(before);
    JsonStringEncoder.getInstance().quoteAsString(text, b);
    return b.append(after).toString();
  }
}
