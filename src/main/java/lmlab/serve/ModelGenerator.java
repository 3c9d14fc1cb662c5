package lmlab.serve;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import lmlab.decode.Eos;
import lmlab.decode.structured.TokenTrie;
import lmlab.models.LanguageModel;
import lmlab.models.Models;
import lmlab.nn.WeightFormats;
import lmlab.tokenize.StopTokens;
import lmlab.tokenize.TokenizerFiles;
import lmlab.train.RunDirectory;
import lmlab.tokenize.ChatTemplate;
import lmlab.tokenize.Tokenizer;
import lmlab.tokenize.TokenizerException;

/**
 * The {@link Generator} of {@code lmlab serve --model DIR}: a loaded model (eval mode), its
 * tokenizer, end-of-sequence ids, chat template (null: no chat) and context, with generation
 * done by a {@link BatchScheduler} (P slots in shared batched steps of the model's own layers).
 */
public final class ModelGenerator implements Generator, AutoCloseable {
  private final String name;
  private final LanguageModel model;
  private final Tokenizer tokenizer;
  private final Eos eos;
  private final ChatTemplate template;
  private final String noChat;
  private final int maxModelLen;
  private final byte[][] bytes;
  private final byte[][] structuredBytes;
  private volatile TokenTrie trie;
  private final BatchScheduler scheduler;

  /**
   * @param template the chat template, or null when the model has none ({@code noChat} says why,
   *     and chat requests are refused with it)
   * @param maxModelLen the context (prompt plus completion tokens)
   * @param parallel slots decoding together (at most {@link lmlab.decode.ContinuousBatch#MAX_ROWS})
   */
  public ModelGenerator(String name, LanguageModel model, Tokenizer tokenizer, Eos eos, ChatTemplate template,
      String noChat, int maxModelLen, int parallel) {
    this.name = name;
    this.model = model;
    this.tokenizer = tokenizer;
    this.eos = eos;
    this.template = template;
    this.noChat = noChat;
    this.maxModelLen = maxModelLen;
    int v = model.vocabSize();
    bytes = new byte[v][];
    structuredBytes = new byte[v][];
    for (int id = 0; id < v; id++) {
      boolean inVocab = id < tokenizer.vocabSize();
      boolean special = inVocab && (tokenizer.isSpecial(id) || isAdded(tokenizer, id));
      byte[] b = !inVocab || tokenizer.isSpecial(id) || eos.matches(id) ? new byte[0] : tokenizer.bytes(id);
      bytes[id] = b;
      structuredBytes[id] = special || eos.matches(id) || b.length == 0 ? null : b;
    }
    scheduler = new BatchScheduler(model, eos, parallel, name);
  }

  /**
   * Loads what {@code lmlab serve --model DIR} serves: a checkpoint directory or a run directory
   * (its checkpoints/best, else latest), float32 weights in eval mode, the directory's tokenizer
   * (required: the API speaks text), end-of-sequence ids (generation_config.json / config.json,
   * else the tokenizer's eos token), the chat template (chatFormat: chatml, qwen2.5, qwen3 or none;
   * null detects it from tokenizer_config.json, and a model without one serves completions only)
   * and the context (max_position_embeddings). Problems are one-line IllegalArgumentExceptions.
   */
  public static ModelGenerator load(Path dir, String servedName, String chatFormat, int parallel) throws IOException {
    return load(dir, servedName, chatFormat, parallel, WeightFormats.F32);
  }

  /** {@link #load(Path, String, String, int)} with the weights in the given format ({@code --weights}). */
  public static ModelGenerator load(Path dir, String servedName, String chatFormat, int parallel, WeightFormats weights)
      throws IOException {
    Path ck = RunDirectory.modelCheckpoint(dir, RunDirectory.BEST, RunDirectory.LATEST);
    if (!TokenizerFiles.present(ck)) {
      throw new IllegalArgumentException(ck + " has no tokenizer (tokenizer.json, vocab.json + merges.txt, or a character"
          + " vocab.json); lmlab serve needs one to read prompts and write text");
    }
    LanguageModel m = Models.load(ck, weights);
    m.eval();
    Tokenizer tok;
    try {
      tok = TokenizerFiles.load(ck).withModelVocabSize(m.vocabSize());
    } catch (TokenizerException e) {
      throw new IllegalArgumentException(e.getMessage(), e);
    }
    Eos eos = Eos.of(StopTokens.of(ck, tok));
    ChatTemplate template = null;
    String noChat = null;
    try {
      if (chatFormat != null && ChatTemplate.Format.named(chatFormat) == ChatTemplate.Format.NONE) {
        noChat = "Chat is disabled on this server (--chat-format none); use /v1/completions.";
      } else {
        template = ChatTemplate.forTokenizer(tok,
            chatFormat == null ? Optional.empty() : Optional.of(ChatTemplate.Format.named(chatFormat)));
      }
    } catch (TokenizerException e) {
      noChat = "This model has no chat template (" + e.getMessage() + "); use /v1/completions, or start the server with"
          + " --chat-format chatml.";
    }
    var n = m.config().get("max_position_embeddings");
    int context = n != null && n.canConvertToInt() ? n.asInt() : Integer.MAX_VALUE;
    Path named = dir.toAbsolutePath().normalize().getFileName();
    String name = servedName != null ? servedName : named == null ? "model" : named.toString();
    return new ModelGenerator(name, m, tok, eos, template, noChat, context, parallel);
  }

  private static boolean isAdded(Tokenizer t, int id) {
    for (var a : t.addedTokens()) if (a.id() == id) return true;
    return false;
  }

  @Override public String name() { return name; }
  @Override public int maxModelLen() { return maxModelLen; }
  @Override public int vocabSize() { return model.vocabSize(); }

  public LanguageModel model() {
    return model;
  }

  public Tokenizer tokenizer() {
    return tokenizer;
  }

  /** Decoding steps run so far (all rows of a step count once). */
  public long steps() {
    return scheduler.steps();
  }

  /** The decoding thread's time so far, by phase ({@link StepTimes#minus} for a window). */
  public StepTimes stepTimes() {
    return scheduler.times();
  }

  /** Requests handed to the decoding thread so far. */
  long requests() {
    return scheduler.requests();
  }

  /** Holds new requests in the queue until {@link #release} (tests: several joining at one step). */
  void hold() {
    scheduler.hold();
  }

  void release() {
    scheduler.release();
  }

  @Override
  public int[] encodeText(String text) {
    try {
      return tokenizer.encode(text, true, false);
    } catch (TokenizerException e) {
      throw new IllegalArgumentException(e.getMessage(), e);
    }
  }

  @Override
  public int[] encodeChat(List<ChatTurn> messages) {
    if (template == null) throw new IllegalArgumentException(noChat);
    List<ChatTemplate.Message> m = new ArrayList<>();
    try {
      for (ChatTurn t : messages) m.add(new ChatTemplate.Message(t.role(), t.content()));
      return template.encode(tokenizer, m, true, true);
    } catch (TokenizerException e) {
      throw new IllegalArgumentException(e.getMessage(), e);
    }
  }

  @Override
  public byte[] tokenBytes(int id) {
    return bytes[id];
  }

  @Override
  public boolean isEndOfSequence(int id) {
    return eos.matches(id);
  }

  @Override
  public int[] endOfSequenceIds() {
    return eos.ids().clone();
  }

  @Override
  public TokenTrie structuredTrie() {
    TokenTrie t = trie;
    if (t == null) {
      synchronized (this) {
        if (trie == null) trie = new TokenTrie(structuredBytes);
        t = trie;
      }
    }
    return t;
  }

  @Override
  public byte[][] structuredTokenBytes() {
    return structuredBytes;
  }

  @Override
  public void generate(Request request, TokenSink sink) throws InterruptedException {
    scheduler.generate(request, sink);
  }

  @Override
  public void close() {
    scheduler.close();
  }
}
