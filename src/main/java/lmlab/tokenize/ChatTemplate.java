package lmlab.tokenize;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * Chat prompts in ChatML, the format of the Qwen family (tokenizers.md "Chat templates"). lmlab
 * embeds no Jinja engine: it recognises the template of {@code tokenizer_config.json} as one of
 * three ChatML flavours and renders that flavour in Java, checked byte for byte against the
 * templates rendered by a Jinja implementation (chat_vectors.jsonl).
 *
 * <ul>
 *   <li>each message: {@code <|im_start|>role\ncontent<|im_end|>\n}; with a generation prompt,
 *       {@code <|im_start|>assistant\n} after them;
 *   <li>Qwen2.5 (the template holds "You are Qwen, created by Alibaba Cloud."): a default system
 *       message when the first message is not one;
 *   <li>Qwen3 (the template holds "enable_thinking"): assistant turns keep only the text after
 *       their last {@code </think>}; with enable_thinking false the generation prompt is followed
 *       by an empty think block; an assistant turn after the last user turn is refused (the
 *       template would give it a thinking block lmlab does not render).
 * </ul>
 */
public final class ChatTemplate {
  /** Qwen2.5's default system prompt. */
  public static final String QWEN25_DEFAULT_SYSTEM = "You are Qwen, created by Alibaba Cloud. You are a helpful assistant.";

  /** The flavours, with the names of {@code --chat-format}. */
  public enum Format {
    CHATML("chatml"), QWEN2_5("qwen2.5"), QWEN3("qwen3"), NONE("none");

    private final String flag;

    Format(String flag) {
      this.flag = flag;
    }

    public String flag() {
      return flag;
    }

    /** The format of a --chat-format value. */
    public static Format named(String name) {
      for (Format f : values()) if (f.flag.equals(name.toLowerCase(Locale.ROOT))) return f;
      throw new IllegalArgumentException("chat format '" + name + "' is unknown; expected chatml, qwen2.5, qwen3 or none");
    }
  }

  /** One turn: role system, user or assistant, and its text. */
  public record Message(String role, String content) {
    public Message {
      if (!List.of("system", "user", "assistant").contains(role)) {
        throw new UnsupportedChatException("chat role '" + role + "' is not supported; expected system, user or assistant"
            + " (tool messages are not implemented)");
      }
      if (content == null) throw new UnsupportedChatException("chat message of role " + role + " has no text content");
    }

    public static Message system(String content) {
      return new Message("system", content);
    }

    public static Message user(String content) {
      return new Message("user", content);
    }

    public static Message assistant(String content) {
      return new Message("assistant", content);
    }
  }

  private final Format format;

  private ChatTemplate(Format format) {
    this.format = format;
  }

  public static ChatTemplate of(Format format) {
    if (format == Format.NONE) throw new UnsupportedChatException("chat is disabled (--chat-format none)");
    return new ChatTemplate(format);
  }

  public Format format() {
    return format;
  }

  /** The flavour of a Jinja chat template; fails naming what is unsupported. */
  public static Format detect(String jinja) {
    if (jinja.contains("You are Qwen, created by Alibaba Cloud.")) return Format.QWEN2_5;
    if (jinja.contains("enable_thinking")) return Format.QWEN3;
    if (jinja.contains("<|im_start|>")) return Format.CHATML;
    throw new UnsupportedChatException("the chat template is not ChatML (no <|im_start|>); lmlab renders only ChatML "
        + "templates (Qwen family); choose one with --chat-format chatml|qwen2.5|qwen3 or none");
  }

  /**
   * The template for a tokenizer: the override if given (NONE disables chat), else the flavour
   * detected from its config's chat_template; fails when there is none.
   */
  public static ChatTemplate forTokenizer(Tokenizer tokenizer, Optional<Format> override) {
    if (override.isPresent()) return of(override.get());
    String jinja = tokenizer.config().chatTemplate().orElseThrow(() -> new UnsupportedChatException(
        "the tokenizer has no chat_template (tokenizer_config.json); choose a format with --chat-format "
            + "chatml|qwen2.5|qwen3"));
    return of(detect(jinja));
  }

  /** render(messages, addGenerationPrompt, true). */
  public String render(List<Message> messages, boolean addGenerationPrompt) {
    return render(messages, addGenerationPrompt, true);
  }

  /** The prompt text; enableThinking matters only for Qwen3. */
  public String render(List<Message> messages, boolean addGenerationPrompt, boolean enableThinking) {
    if (messages.isEmpty()) throw new UnsupportedChatException("a chat needs at least one message");
    StringBuilder out = new StringBuilder();
    int first = 0;
    if (format == Format.QWEN2_5) {
      boolean system = messages.get(0).role().equals("system");
      turn(out, "system", system ? messages.get(0).content() : QWEN25_DEFAULT_SYSTEM);
      if (system) first = 1;
    }
    int lastQuery = format == Format.QWEN3 ? lastQueryIndex(messages) : -1;
    for (int i = first; i < messages.size(); i++) {
      Message m = messages.get(i);
      String content = m.content();
      if (format == Format.QWEN3 && m.role().equals("assistant")) {
        if (i > lastQuery) {
          throw new UnsupportedChatException("an assistant message after the last user message is not supported with "
              + "the Qwen3 template (it would get a thinking block); end the conversation with a user message");
        }
        int end = content.lastIndexOf("</think>");
        if (end >= 0) content = stripLeadingNewlines(content.substring(end + "</think>".length()));
      }
      turn(out, m.role(), content);
    }
    if (addGenerationPrompt) {
      out.append("<|im_start|>assistant\n");
      if (format == Format.QWEN3 && !enableThinking) out.append("<think>\n\n</think>\n\n");
    }
    return out.toString();
  }

  /** The prompt's ids: the rendered text encoded with special-token matching on, nothing added. */
  public int[] encode(Tokenizer tokenizer, List<Message> messages, boolean addGenerationPrompt, boolean enableThinking) {
    return tokenizer.encode(render(messages, addGenerationPrompt, enableThinking), false, false);
  }

  private static void turn(StringBuilder out, String role, String content) {
    out.append("<|im_start|>").append(role).append('\n').append(content).append("<|im_end|>\n");
  }

  /** The last user message that is not a tool response (Qwen3's ns.last_query_index), else the last index. */
  private static int lastQueryIndex(List<Message> messages) {
    for (int i = messages.size() - 1; i >= 0; i--) {
      Message m = messages.get(i);
      if (m.role().equals("user")
          && !(m.content().startsWith("<tool_response>") && m.content().endsWith("</tool_response>"))) {
        return i;
      }
    }
    return messages.size() - 1;
  }

  private static String stripLeadingNewlines(String s) {
    int i = 0;
    while (i < s.length() && s.charAt(i) == '\n') i++;
    return s.substring(i);
  }

  /**
   * Messages from an OpenAI-style JSON list ({@code [{"role", "content"}]}), refusing what lmlab
   * does not render: tool calls, tool messages, non-text content.
   */
  public static List<Message> messagesFromJson(JsonNode list) {
    if (list == null || !list.isArray()) throw new UnsupportedChatException("messages must be a list of {role, content}");
    List<Message> out = new ArrayList<>();
    for (int i = 0; i < list.size(); i++) {
      JsonNode m = list.get(i);
      String role = m.path("role").asText("");
      if (m.has("tool_calls") && !m.get("tool_calls").isNull()) {
        throw new UnsupportedChatException("messages[" + i + "]: tool calls are not supported");
      }
      if (role.equals("tool") || role.equals("function")) {
        throw new UnsupportedChatException("messages[" + i + "]: " + role + " messages are not supported");
      }
      JsonNode content = m.get("content");
      if (content == null || !content.isTextual()) {
        throw new UnsupportedChatException("messages[" + i + "]: content must be text; non-text content ("
            + (content == null ? "absent" : content.getNodeType().toString().toLowerCase(Locale.ROOT))
            + ") is not supported");
      }
      out.add(new Message(role, content.asText()));
    }
    return out;
  }

  /** A conversation or template lmlab does not render (the chat endpoint answers 400 with it). */
  public static final class UnsupportedChatException extends TokenizerException {
    public UnsupportedChatException(String message) {
      super(message);
    }
  }
}
