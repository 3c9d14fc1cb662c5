package lmlab.serve;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.Test;

class EventTemplateTest {
  private static ObjectNode chunk(String text) {
    ObjectNode r = JsonNodeFactory.instance.objectNode();
    r.put("id", "cmpl-\"x\\").put("object", "text_completion").put("created", 1733300000L).put("model", "m\u00e9 \"q\"");
    ObjectNode c = r.putArray("choices").addObject().put("index", 0);
    c.put("text", text).putNull("logprobs").putNull("finish_reason");
    r.putNull("usage");
    return r;
  }

  @Test
  void filledEventsAreTheTreesBytes() {
    ApiHandler.EventTemplate t = ApiHandler.EventTemplate.of(EventTemplateTest::chunk);
    assertThat(t).isNotSameAs(ApiHandler.EventTemplate.NONE);
    String[] texts = {"", "a", "ROMEO:\n", "\"quoted\" \\ back/slash", "tab\tcr\rnul\u0000bell\u0007 del\u007f",
        "\u2028\u2029", "caf\u00e9 \u4e2d\u6587 \ud83d\ude00", "</script>", "{\"json\": [1, 2]}"};
    for (String s : texts) assertThat(t.fill(s)).as(s).isEqualTo("data: " + chunk(s) + "\n\n");
  }

  @Test
  void aMarkerFoundTwiceGivesNoTemplate() {
    assertThat(ApiHandler.EventTemplate.of(s -> chunk(s).put("model", s))).isSameAs(ApiHandler.EventTemplate.NONE);
  }
}
