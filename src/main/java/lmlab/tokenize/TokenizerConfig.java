package lmlab.tokenize;

import java.util.Optional;

/**
 * What {@code tokenizer_config.json} (and {@code special_tokens_map.json}) add to the vocabulary:
 * the bos/eos/pad token strings, whether a BOS is prepended, the tokenizer class, and the Jinja
 * chat template (its text; lmlab renders only the ChatML family, see {@link ChatTemplate}).
 */
public record TokenizerConfig(Optional<String> bosToken, Optional<String> eosToken, Optional<String> padToken,
    boolean addBosToken, Optional<String> tokenizerClass, Optional<String> chatTemplate) {
  public static final TokenizerConfig NONE = new TokenizerConfig(Optional.empty(), Optional.empty(), Optional.empty(),
      false, Optional.empty(), Optional.empty());
}
