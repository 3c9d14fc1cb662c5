package lmlab.serve;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import lmlab.io.Checkpoint;
import lmlab.models.LanguageModel;
import lmlab.models.Models;
import lmlab.tokenize.CharTokenizer;

/**
 * Small random-weight checkpoints for the server's end-to-end tests: a character model over
 * printable ASCII and newline (so any English prompt, GSM8K's included, encodes; ChatML's markers
 * are plain characters), and, when ../shared holds it, a tiny Qwen2-style model with the real
 * Qwen tokenizer (151,669 tokens, its chat template and end-of-sequence ids).
 */
final class TinyCheckpoints {
  static final Path QWEN_TOKENIZER = Path.of("../shared/fixtures/tokenizers/qwen3");

  private TinyCheckpoints() {}

  static String asciiChars() {
    StringBuilder s = new StringBuilder("\n");
    for (char c = 32; c < 127; c++) s.append(c);
    return s.toString();
  }

  /** A chargpt-shaped character model (random weights, seed) with context, hidden size and layers given. */
  static Path charModel(Path dir, long seed, int context, int hidden, int layers) throws IOException {
    CharTokenizer tok = CharTokenizer.fromText(asciiChars());
    LanguageModel m = Models.fromPreset("chargpt", Map.of("vocab_size", String.valueOf(tok.vocabSize()),
        "max_position_embeddings", String.valueOf(context), "hidden_size", String.valueOf(hidden),
        "num_hidden_layers", String.valueOf(layers), "num_attention_heads", "2", "dropout", "0.0"), seed);
    Checkpoint.save(dir, m.config(), m.stateDict());
    tok.write(dir.resolve("vocab.json"));
    return dir;
  }

  static Path charModel(Path dir, long seed) throws IOException {
    return charModel(dir, seed, 1024, 32, 2);
  }

  static boolean qwenAvailable() {
    return Files.isRegularFile(QWEN_TOKENIZER.resolve("tokenizer.json"));
  }

  /** A one-layer Qwen2-style model (hidden 16, random weights) with the real Qwen tokenizer files copied beside it. */
  static Path qwenModel(Path dir, long seed) throws IOException {
    LanguageModel m = Models.fromPreset("qwen2", Map.of("vocab_size", "151669", "hidden_size", "16",
        "intermediate_size", "32", "num_hidden_layers", "1", "num_attention_heads", "2", "num_key_value_heads", "1",
        "max_position_embeddings", "4096", "tie_word_embeddings", "true"), seed);
    Checkpoint.save(dir, m.config(), m.stateDict());
    for (String f : new String[] {"tokenizer.json", "tokenizer_config.json"})
      Files.copy(QWEN_TOKENIZER.resolve(f), dir.resolve(f));
    return dir;
  }
}
