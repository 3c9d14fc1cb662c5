package lmlab.tokenize;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashSet;
import java.util.OptionalInt;
import java.util.Set;

/**
 * The ids that end generation (tokenizers.md "Special tokens and end of sequence"): the
 * {@code eos_token_id} of {@code generation_config.json} (an int or a list; Qwen2.5-Instruct
 * lists 151645 and 151643), else that of {@code config.json}, else the tokenizer's eos_token.
 */
public final class StopTokens {
  private StopTokens() {}

  /** The stop ids for a model directory and its tokenizer; empty when none is defined. */
  public static Set<Integer> of(Path modelDir, Tokenizer tokenizer) {
    for (String name : new String[] {"generation_config.json", "config.json"}) {
      Path file = modelDir.resolve(name);
      if (!Files.isRegularFile(file)) continue;
      JsonNode eos = Json.read(file).get("eos_token_id");
      if (eos == null || eos.isNull()) continue;
      Set<Integer> ids = new LinkedHashSet<>();
      if (eos.canConvertToInt()) {
        ids.add(eos.asInt());
      } else if (eos.isArray()) {
        for (JsonNode id : eos) {
          if (!id.canConvertToInt()) throw new TokenizerException(file + ": eos_token_id holds " + id + "; expected integer ids");
          ids.add(id.asInt());
        }
      } else {
        throw new TokenizerException(file + ": eos_token_id is " + eos + "; expected an integer or a list of integers");
      }
      return ids;
    }
    Set<Integer> ids = new LinkedHashSet<>();
    eosId(tokenizer).ifPresent(ids::add);
    return ids;
  }

  /** The id of the tokenizer's eos_token, if it names one the tokenizer has. */
  public static OptionalInt eosId(Tokenizer tokenizer) {
    return tokenizer.config().eosToken().map(tokenizer::id).orElse(OptionalInt.empty());
  }
}
