package lmlab.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import lmlab.decode.Sequence;
import lmlab.tokenize.ChatTemplate;
import lmlab.tokenize.StreamingDecoder;
import lmlab.tokenize.TokenizerException;
import org.jline.reader.EndOfFileException;
import org.jline.reader.LineReader;
import org.jline.reader.LineReaderBuilder;
import org.jline.reader.UserInterruptException;
import org.jline.terminal.Terminal;
import org.jline.terminal.TerminalBuilder;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code lmlab chat}: an interactive conversation with a chat model on a terminal, through JLine
 * (line editing, history). Each turn the whole conversation is rendered again with the model's chat
 * template (tokenizers.md: ChatML, Qwen2.5's default system prompt) and decoded from the start, so
 * what the model sees is exactly what {@code lmlab generate --chat} would. Ctrl-C while an answer
 * streams stops that answer (the part said so far stays in the conversation); Ctrl-C at the prompt
 * clears the line; Ctrl-D or /exit ends the session.
 */
@Command(
    name = "chat",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    description = {
      "Chat with a model directory (config.json, weights, a tokenizer with a ChatML chat template).",
      "Type a message and press Enter; the answer streams as it is generated. The conversation is kept and "
          + "rendered again with the chat template every turn.",
      "  /reset  forget the conversation     /exit  end (also Ctrl-D)",
      "Ctrl-C stops the answer being written (not the session). Decoding defaults come from the "
          + "directory's generation_config.json (Qwen2.5-Instruct: sampling, temperature 0.7, top-p 0.8, "
          + "top-k 20, repetition penalty 1.05); the flags below override them.",
      ""
    })
public final class ChatCommand implements Runnable {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Option(names = "--model", required = true, paramLabel = "DIR", description = "The model directory.")
  Path model;

  @Option(names = "--system", paramLabel = "TEXT",
      description = "A system message opening the conversation (Qwen2.5 templates use their default otherwise).")
  String system;

  @Option(names = "--chat-format", paramLabel = "FORMAT",
      description = "chatml, qwen2.5 or qwen3 instead of the format detected from the chat template.")
  String chatFormat;

  @Option(names = "--show-tokens",
      description = "Print each turn's rendered prompt as token ids (on standard error) before the answer.")
  boolean showTokens;

  @Mixin ChatDecoding decoding;

  /** Set by tests: the terminal to use instead of the system one, and a hook run after each streamed token. */
  Terminal testTerminal;
  java.util.function.IntConsumer afterToken;

  @Override
  public void run() {
    CommandLine cl = spec.commandLine();
    ChatDecoding.Loaded target = decoding.load(cl, model);
    if (target.tokenizer() == null) {
      throw new CommandLine.ExecutionException(cl, model + " has no tokenizer (tokenizer.json or vocab.json + merges.txt);"
          + " lmlab chat needs one");
    }
    ChatTemplate template = ChatDecoding.template(cl, target, chatFormat);
    try (Terminal terminal = terminal()) {
      LineReader reader = LineReaderBuilder.builder().terminal(terminal).appName("lmlab")
          .variable(LineReader.HISTORY_SIZE, 1000).build();
      PrintWriter out = terminal.writer();
      out.println("lmlab chat: " + model.getFileName() + " (" + template.format().flag() + ", "
          + decoding.describe(target) + "); /exit or Ctrl-D to end, Ctrl-C stops an answer");
      out.flush();
      new Session(target, template, terminal, out, cl.getErr()).run(reader);
    } catch (IOException e) {
      throw new CommandLine.ExecutionException(cl, "terminal: " + e.getMessage(), e);
    }
  }

  private Terminal terminal() throws IOException {
    if (testTerminal != null) return testTerminal;
    return TerminalBuilder.builder().system(true).dumb(true).build();
  }

  /** One conversation: read a line, render, answer, repeat. */
  private final class Session {
    private final ChatDecoding.Loaded target;
    private final ChatTemplate template;
    private final Terminal terminal;
    private final PrintWriter out;
    private final PrintWriter err;
    private final List<ChatTemplate.Message> messages = new ArrayList<>();
    private volatile boolean interrupted;

    Session(ChatDecoding.Loaded target, ChatTemplate template, Terminal terminal, PrintWriter out, PrintWriter err) {
      this.target = target;
      this.template = template;
      this.terminal = terminal;
      this.out = out;
      this.err = err;
      reset();
    }

    private void reset() {
      messages.clear();
      if (system != null) messages.add(ChatTemplate.Message.system(system));
    }

    void run(LineReader reader) {
      while (true) {
        String line;
        try {
          line = reader.readLine("> ");
        } catch (UserInterruptException e) {
          continue; // Ctrl-C at the prompt: drop the line, keep the session
        } catch (EndOfFileException e) {
          return;
        }
        String text = line.strip();
        if (text.isEmpty()) continue;
        if (text.equals("/exit") || text.equals("/quit")) return;
        if (text.equals("/reset")) {
          reset();
          out.println("(conversation cleared)");
          out.flush();
          continue;
        }
        messages.add(ChatTemplate.Message.user(line));
        String answer = answer();
        if (answer == null) {
          messages.removeLast(); // the turn could not be rendered: forget it, keep the session
        } else {
          messages.add(ChatTemplate.Message.assistant(answer));
        }
      }
    }

    /** Renders the conversation, streams the answer; returns its text, or null when the prompt was refused. */
    private String answer() {
      int[] ids;
      try {
        ids = template.encode(target.tokenizer(), messages, true, true);
        target.checkPrompt(ids.length);
      } catch (TokenizerException | IllegalArgumentException e) {
        out.println("lmlab: " + e.getMessage());
        out.flush();
        return null;
      }
      if (showTokens) {
        err.println("prompt (" + ids.length + " tokens): " + Arrays.toString(ids));
        err.flush();
      }
      StreamingDecoder text = target.tokenizer().streamingDecoder(true);
      StringBuilder said = new StringBuilder();
      interrupted = false;
      Terminal.SignalHandler previous = terminal.handle(Terminal.Signal.INT, s -> interrupted = true);
      try {
        Sequence s = decoding.generate(target, ids, (token, logProb) -> {
          String piece = text.next(token);
          said.append(piece);
          out.print(piece);
          out.flush();
          if (afterToken != null) afterToken.accept(said.length());
          return !interrupted;
        });
        String rest = text.finish();
        said.append(rest);
        out.print(rest);
        if (interrupted) out.print(" [stopped]");
        else if (!s.endedAtEos()) out.print(" [max-new-tokens]");
        out.println();
        out.flush();
      } finally {
        terminal.handle(Terminal.Signal.INT, previous);
      }
      return said.toString();
    }
  }
}
