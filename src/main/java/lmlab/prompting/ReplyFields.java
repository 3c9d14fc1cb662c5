package lmlab.prompting;

import com.fasterxml.jackson.databind.JsonNode;

/** Reads the generated text out of an OpenAI chat or completions reply. */
final class ReplyFields {
  private ReplyFields() {}

  /** {@code choices[0].message.content} (chat) or {@code choices[0].text} (completions), null when absent. */
  static String content(JsonNode reply, boolean completions) {
    JsonNode c = reply.path("choices").path(0);
    JsonNode t = completions ? c.path("text") : c.path("message").path("content");
    return t.isTextual() ? t.asText() : null;
  }
}
