package lmlab.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import lmlab.decode.Eos;
import lmlab.decode.Greedy;
import lmlab.decode.SteppedModel;
import lmlab.decode.TokenSink;
import lmlab.models.Transformer;
import lmlab.testing.HfDirs;
import lmlab.tokenize.ChatTemplate;
import lmlab.tokenize.Tokenizer;
import lmlab.tokenize.TokenizerFiles;
import org.jline.terminal.Terminal;
import org.jline.terminal.impl.DumbTerminal;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * Issue #18 acceptance 3 (chat): {@code lmlab chat} driven through its terminal's input stream on
 * the Qwen2 reference directory (real Qwen tokenizer, Qwen2.5 template). Checks each turn's
 * rendered prompt ids (the first against chat_vectors.jsonl, later ones against the conversation
 * re-rendered with the answers as streamed) and the streamed text (the lmlab model's greedy
 * continuation, decoded); Ctrl-C during an answer stops that answer and the session goes on.
 */
class ChatCommandTest {
  @TempDir static Path tmp;
  static Path qwen;
  static Transformer model;
  static Tokenizer tok;
  static final Eos EOS = Eos.of(List.of(151645, 151643));

  @BeforeAll
  static void directory() throws IOException {
    HfDirs.requireTokenizers();
    qwen = tmp.resolve("qwen2");
    model = HfDirs.qwen2ChatDir(qwen, 21, "F32");
    model.eval();
    tok = TokenizerFiles.load(qwen).withModelVocabSize(151936);
  }

  record Session(int code, String screen, String err) {}

  /** Runs lmlab chat with the given typed input; afterToken may raise Ctrl-C. */
  static Session chat(String typed, java.util.function.BiConsumer<Terminal, Integer> afterToken, String... args)
      throws IOException {
    CommandLine cl = Main.commandLine();
    StringWriter err = new StringWriter();
    cl.setErr(new PrintWriter(err, true));
    cl.setOut(new PrintWriter(new StringWriter(), true));
    ByteArrayOutputStream screen = new ByteArrayOutputStream();
    // A dumb terminal reading the typed bytes directly. (TerminalBuilder.streams(...) would put a
    // pseudo-terminal between them whose input pump echoes everything and closes the terminal's input
    // as soon as the in-memory stream ends, before the session reads a line.)
    Terminal terminal = new DumbTerminal("lmlab-test", Terminal.TYPE_DUMB,
        new ByteArrayInputStream(typed.getBytes(StandardCharsets.UTF_8)), screen, StandardCharsets.UTF_8);
    ChatCommand chat = (ChatCommand) cl.getSubcommands().get("chat").getCommandSpec().userObject();
    chat.testTerminal = terminal;
    int[] tokens = {0};
    if (afterToken != null) chat.afterToken = n -> afterToken.accept(terminal, ++tokens[0]);
    List<String> all = new ArrayList<>(List.of("chat", "--model", qwen.toString()));
    all.addAll(List.of(args));
    int code = cl.execute(all.toArray(String[]::new));
    return new Session(code, screen.toString(StandardCharsets.UTF_8), err.toString());
  }

  static int[] greedy(int[] prompt, int n) {
    return Greedy.search(new SteppedModel(model), prompt, n, EOS, TokenSink.NONE).tokens();
  }

  /** The ids printed by --show-tokens, turn by turn. */
  static List<int[]> promptIds(String err) {
    List<int[]> out = new ArrayList<>();
    for (String line : err.lines().toList()) {
      if (!line.startsWith("prompt (")) continue;
      String list = line.substring(line.indexOf('[') + 1, line.lastIndexOf(']'));
      out.add(java.util.Arrays.stream(list.split(", ")).mapToInt(Integer::parseInt).toArray());
    }
    return out;
  }

  @Test
  void twoTurnsRenderTheWholeConversationAndStreamTheAnswers() throws IOException {
    JsonNode v = HfGenerateTest.chatVector("single_user_generation_prompt");
    String first = v.get("messages").get(0).get("content").asText();
    Session s = chat(first + "\nAnd 3+3?\n/exit\n", null, "--strategy", "greedy", "--max-new-tokens", "6",
        "--show-tokens");
    assertThat(s.code()).as(s.err()).isZero();
    List<int[]> prompts = promptIds(s.err());
    assertThat(prompts).hasSize(2);
    assertThat(prompts.get(0)).containsExactly(HfGenerateTest.ints(v.get("ids")));
    String answer1 = tok.decode(greedy(prompts.get(0), 6), true);
    // turn 2: the conversation so far, re-rendered with the streamed answer as the assistant's message
    int[] second = ChatTemplate.of(ChatTemplate.Format.QWEN2_5).encode(tok, List.of(ChatTemplate.Message.user(first),
        ChatTemplate.Message.assistant(answer1), ChatTemplate.Message.user("And 3+3?")), true, true);
    assertThat(prompts.get(1)).containsExactly(second);
    String answer2 = tok.decode(greedy(second, 6), true);
    assertThat(s.screen()).contains(answer1).contains(answer2);
    assertThat(s.screen().indexOf(answer1)).isLessThan(s.screen().lastIndexOf(answer2));
  }

  @Test
  void ctrlCStopsTheAnswerNotTheSession() throws IOException {
    Session s = chat("Tell me a story\nWhat is 2+2?\n/exit\n", (terminal, n) -> {
      if (n == 2) terminal.raise(Terminal.Signal.INT); // the user presses Ctrl-C during the first answer
    }, "--strategy", "greedy", "--max-new-tokens", "8", "--show-tokens");
    assertThat(s.code()).as(s.err()).isZero();
    assertThat(s.screen()).contains("[stopped]");
    List<int[]> prompts = promptIds(s.err());
    assertThat(prompts).hasSize(2); // the session went on to the second question
    // the stopped answer (two tokens) stays in the conversation
    int[] first = prompts.get(0);
    String partial = tok.decode(java.util.Arrays.copyOf(greedy(first, 8), 2), true);
    int[] second = ChatTemplate.of(ChatTemplate.Format.QWEN2_5).encode(tok, List.of(
        ChatTemplate.Message.user("Tell me a story"), ChatTemplate.Message.assistant(partial),
        ChatTemplate.Message.user("What is 2+2?")), true, true);
    assertThat(prompts.get(1)).containsExactly(second);
  }

  @Test
  void aDirectoryWithoutATokenizerIsOneLine() throws IOException {
    Path dir = tmp.resolve("no-tokenizer");
    java.nio.file.Files.createDirectories(dir);
    Transformer m = new Transformer(lmlab.models.TransformerConfig.builder("qwen2").set("vocab_size", 40)
        .set("hidden_size", 16).set("num_attention_heads", 4).set("num_key_value_heads", 2)
        .set("intermediate_size", 24).set("num_hidden_layers", 1).build(), 1);
    HfDirs.writeJson(dir, "config.json", HfDirs.qwen2Config(m.transformerConfig(), 0, 1));
    HfDirs.write(dir.resolve("model.safetensors"), m.stateDict(), "F32");
    MainTest.Run r = MainTest.run("chat", "--model", dir.toString());
    assertThat(r.code()).isEqualTo(1);
    assertThat(r.err()).contains("has no tokenizer").contains("lmlab chat needs one");
    assertThat(r.err().strip().lines()).hasSize(1);
  }
}
