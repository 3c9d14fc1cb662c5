package lmlab.tokenize;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/** chat_vectors.jsonl: ChatML renders of the Qwen2.5 and Qwen3 templates, byte for byte, and their ids. */
class ChatTemplateTest {
  @TestFactory
  Stream<DynamicTest> chatVectors() throws Exception {
    Tokenizer qwen3 = TokenizerFixtures.shared("qwen3");
    String qwen25Jinja = Files.readString(TokenizerFixtures.SHARED.resolve("qwen3/qwen2.5_chat_template.jinja"));
    ChatTemplate qwen25 = ChatTemplate.of(ChatTemplate.detect(qwen25Jinja));
    ChatTemplate qwen3Template = ChatTemplate.forTokenizer(qwen3, Optional.empty());
    assertThat(qwen25.format()).isEqualTo(ChatTemplate.Format.QWEN2_5);
    assertThat(qwen3Template.format()).isEqualTo(ChatTemplate.Format.QWEN3);
    return TokenizerFixtures.jsonLines(TokenizerFixtures.SHARED.resolve("chat_vectors.jsonl")).stream()
        .map(v -> DynamicTest.dynamicTest(v.get("template").asText() + " " + v.get("name").asText()
            + (v.has("enable_thinking") ? " enable_thinking=" + v.get("enable_thinking") : ""), () -> {
          ChatTemplate t = v.get("template").asText().equals("qwen2.5") ? qwen25 : qwen3Template;
          List<ChatTemplate.Message> messages = ChatTemplate.messagesFromJson(v.get("messages"));
          boolean thinking = !v.has("enable_thinking") || v.get("enable_thinking").asBoolean();
          String rendered = t.render(messages, v.get("add_generation_prompt").asBoolean(), thinking);
          assertThat(rendered).isEqualTo(v.get("rendered").asText());
          assertThat(t.encode(qwen3, messages, v.get("add_generation_prompt").asBoolean(), thinking))
              .containsExactly(TokenizerFixtures.ints(v.get("ids")));
        }));
  }

  @Test
  void plainChatMlAndQwen3Rules() {
    ChatTemplate plain = ChatTemplate.of(ChatTemplate.detect("{{ '<|im_start|>' + message.role }}"));
    assertThat(plain.format()).isEqualTo(ChatTemplate.Format.CHATML);
    assertThat(plain.render(List.of(ChatTemplate.Message.user("hi")), true))
        .isEqualTo("<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\n");
    ChatTemplate qwen3 = ChatTemplate.of(ChatTemplate.Format.QWEN3);
    assertThat(qwen3.render(List.of(ChatTemplate.Message.user("a"),
        ChatTemplate.Message.assistant("<think>\nhmm\n</think>\n\nyes"), ChatTemplate.Message.user("b")), false))
        .isEqualTo("<|im_start|>user\na<|im_end|>\n<|im_start|>assistant\nyes<|im_end|>\n<|im_start|>user\nb<|im_end|>\n");
    assertThatThrownBy(() -> qwen3.render(List.of(ChatTemplate.Message.user("a"), ChatTemplate.Message.assistant("b")), false))
        .isInstanceOf(ChatTemplate.UnsupportedChatException.class).hasMessageContaining("after the last user message");
  }

  @Test
  void unsupportedTemplatesAndMessagesAreNamed() throws Exception {
    assertThatThrownBy(() -> ChatTemplate.detect("{{ bos_token }}[INST] {{ message }} [/INST]"))
        .hasMessageContaining("not ChatML").hasMessageContaining("--chat-format");
    assertThatThrownBy(() -> ChatTemplate.of(ChatTemplate.Format.named("none"))).hasMessageContaining("disabled");
    assertThatThrownBy(() -> ChatTemplate.Format.named("llama")).hasMessageContaining("chatml, qwen2.5, qwen3 or none");
    JsonNode tool = TokenizerFixtures.parse("[{\"role\": \"tool\", \"content\": \"42\"}]");
    assertThatThrownBy(() -> ChatTemplate.messagesFromJson(tool)).hasMessageContaining("tool messages");
    JsonNode calls = TokenizerFixtures.parse("[{\"role\": \"assistant\", \"content\": \"\", \"tool_calls\": []}]");
    assertThatThrownBy(() -> ChatTemplate.messagesFromJson(calls)).hasMessageContaining("tool calls");
    JsonNode parts = TokenizerFixtures.parse("[{\"role\": \"user\", \"content\": [{\"type\": \"image_url\"}]}]");
    assertThatThrownBy(() -> ChatTemplate.messagesFromJson(parts)).hasMessageContaining("non-text content");
  }
}
