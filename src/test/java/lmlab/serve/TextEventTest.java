package lmlab.serve;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/** A streamed text event from its fixed halves has the bytes Jackson writes for the whole event. */
class TextEventTest {
  /** A completion chunk as the server builds it, with text as its only varying field. */
  private static final Function<String, String> CHUNK = text -> {
    ObjectNode r = JsonNodeFactory.instance.objectNode();
    r.put("id", "cmpl-\"quoted\"\\").put("object", "text_completion").put("created", 1_733_400_000L).put("model", "m/é");
    ObjectNode c = r.putArray("choices").addObject().put("index", 0);
    c.put("text", text);
    c.putNull("logprobs");
    c.putNull("finish_reason");
    r.putNull("usage");
    return "data: " + r + "\n\n";
  };

  @Test
  void eventsEqualTheSerialisedTreeForAnyText() {
    TextEvent e = TextEvent.of(CHUNK);
    List<String> texts = new ArrayList<>(List.of("", "a", "\n", "\"", "\\", "\u0000", "\u001f", "\u007f", "</script>", "é",
        "日本", "😀", "\ud83d", "line\r\nnext\ttab", "\u2028\u2029", "\u0000text\u0000"));
    Random r = new Random(7);
    for (int i = 0; i < 500; i++) {
      StringBuilder b = new StringBuilder();
      for (int n = r.nextInt(12); n > 0; n--) b.append((char) (r.nextBoolean() ? r.nextInt(128) : r.nextInt(0x10000)));
      texts.add(b.toString());
    }
    for (String t : texts) assertThat(e.with(t)).as("text %s", t).isEqualTo(CHUNK.apply(t));
  }

  @Test
  void aTemplateWithoutItsTextOnceIsRefused() {
    assertThatThrownBy(() -> TextEvent.of(t -> "data: {}\n\n")).isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("not once");
    assertThatThrownBy(() -> TextEvent.of(t -> "{\"a\":\"" + t + "\",\"b\":\"" + t + "\"}"))
        .isInstanceOf(IllegalStateException.class);
  }
}
