package lmlab.cli;

import java.nio.file.Path;
import lmlab.decode.Eos;
import lmlab.models.LanguageModel;
import lmlab.tokenize.StopTokens;
import lmlab.tokenize.Tokenizer;
import lmlab.tokenize.TokenizerException;
import lmlab.tokenize.TokenizerFiles;
import picocli.CommandLine;

/**
 * What the text commands ({@code generate}, {@code chat}) decode with: the model in eval mode, the
 * directory's tokenizer (null when it has none; checked against the model's vocabulary, tokenizers.md),
 * its end-of-sequence ids (generation_config.json / config.json {@code eos_token_id}, else the
 * tokenizer's eos token) and the context length ({@code max_position_embeddings}).
 */
record TextTarget(LanguageModel model, Tokenizer tokenizer, Eos eos) {
  /** Puts m in eval mode and reads dir's tokenizer and end-of-sequence ids; a problem is a one-line error. */
  static TextTarget of(CommandLine cl, Path dir, LanguageModel m) {
    m.eval();
    try {
      Tokenizer tok = TokenizerFiles.present(dir) ? TokenizerFiles.load(dir).withModelVocabSize(m.vocabSize()) : null;
      return new TextTarget(m, tok, tok == null ? Eos.NONE : Eos.of(StopTokens.of(dir, tok)));
    } catch (TokenizerException e) {
      throw new CommandLine.ExecutionException(cl, e.getMessage(), e);
    }
  }

  TextTarget withEos(Eos other) {
    return new TextTarget(model, tokenizer, other);
  }

  /** The model's context (config.json max_position_embeddings), or no limit for a model without one. */
  int context() {
    var n = model.config().get("max_position_embeddings");
    return n != null && n.canConvertToInt() ? n.asInt() : Integer.MAX_VALUE;
  }

  /** Refuses a prompt that leaves no room in the context; one line naming both lengths. */
  void checkPrompt(int promptTokens) {
    int context = context();
    if (promptTokens >= context) {
      throw new IllegalArgumentException("the prompt has " + promptTokens + " tokens; the model's context is " + context
          + " (max_position_embeddings), so at most " + (context - 1) + " fit with room for an answer");
    }
  }

  /** New tokens allowed after a prompt: the asked number, cut at the end of the context. */
  int room(int promptTokens, int maxNewTokens) {
    return (int) Math.min(maxNewTokens, (long) context() - promptTokens);
  }
}
