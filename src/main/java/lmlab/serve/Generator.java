package lmlab.serve;

import java.util.List;
import java.util.Map;
import lmlab.decode.structured.JsonConstraint;
import lmlab.decode.structured.TokenTrie;

/**
 * The model behind {@code lmlab serve}: tokenisation, the chat template, and generation that
 * streams sampled tokens. The server does everything else (HTTP, validation, slots and queue,
 * text assembly, stop strings, timeouts, cancellation), so a batched decoder plugs in by
 * implementing this interface: each slot thread calls {@link #generate}, and a batching
 * implementation joins the calls into shared decoding steps (continuous batching: a request
 * joins or leaves between steps).
 */
public interface Generator {
  /** The served model name (defaults to the checkpoint directory's name). */
  String name();

  /** Context limit: prompt plus completion tokens. */
  int maxModelLen();

  int vocabSize();

  /** A text prompt with special-token matching on and add_special_tokens true (tokenizers.md). */
  int[] encodeText(String text);

  /**
   * Chat messages rendered with the model's chat template (generation prompt added), encoded
   * with add_special_tokens false. A message the template cannot render is an {@link
   * IllegalArgumentException} whose message says why (it becomes a 400).
   */
  int[] encodeChat(List<ChatTurn> messages);

  /** The UTF-8 bytes a token adds to the text (empty for special tokens). */
  byte[] tokenBytes(int id);

  boolean isEndOfSequence(int id);

  /** The end-of-sequence ids (allowed by a structured constraint only once the value is complete). */
  int[] endOfSequenceIds();

  /** The vocabulary trie for structured output (special and added tokens left out); built once. */
  TokenTrie structuredTrie();

  /** Each token's bytes for the constraint, null for special and added tokens. */
  byte[][] structuredTokenBytes();

  /**
   * Generates for one request until {@code sink} returns false or reports itself cancelled, an
   * end-of-sequence token was passed to it, or {@code maxTokens} tokens were passed; returns once
   * the sink will not be called again. The sink may be called in another thread, one call at a
   * time (a batching implementation calls the sinks from its decoding thread, or from a pool
   * worker while the next step runs), so it must not block.
   * With a constraint, tokens it does not allow get logit −∞ before temperature and sampling, and
   * each sampled token is given to {@link JsonConstraint#accept} before the sink sees it, and
   * generation ends once {@link JsonConstraint#finished} (the constraint belongs to the generator
   * until this returns: the caller must not read it meanwhile). Results must not depend on what
   * else is being generated (serving.md).
   */
  void generate(Request request, TokenSink sink) throws InterruptedException;

  /** One chat message after validation: role system, user or assistant; text content. */
  record ChatTurn(String role, String content) {}

  /**
   * Sampling settings (decoding.md): temperature 0 is greedy; penalties and logit bias are
   * applied before temperature; {@code seed} drives the request's own generator.
   */
  record Sampling(
      double temperature, double topP, int topK, long seed, double presencePenalty, double frequencyPenalty,
      Map<Integer, Float> logitBias) {}

  /**
   * @param topLogprobs how many alternatives to report per token (0: none), log-probabilities
   *     under the model's own distribution
   * @param constraint structured output, or null
   */
  record Request(int[] prompt, Sampling sampling, int maxTokens, int topLogprobs, JsonConstraint constraint) {}

  /** A sampled token, its log-probability, and the top alternatives when asked for. */
  record Token(int id, float logprob, int[] topIds, float[] topLogprobs) {}

  /** Receives tokens as they are sampled (possibly in the generator's thread: it must not block). */
  interface TokenSink {
    /** Takes the next token; false stops generation now. */
    boolean accept(Token token);

    /** True once the request is cancelled (client gone): polled between steps, so its row leaves before the next one. */
    default boolean cancelled() {
      return false;
    }
  }
}
