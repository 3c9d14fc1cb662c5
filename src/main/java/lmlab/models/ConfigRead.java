package lmlab.models;

import java.util.List;

/**
 * A configuration read from a config.json, with the keys that were accepted but change nothing
 * lmlab computes (Hugging Face bookkeeping such as {@code torch_dtype}, {@code architectures},
 * token ids, {@code use_mrope: false}), so that commands can list them.
 */
public record ConfigRead<C extends ModelConfig>(C config, List<String> ignoredKeys) {
  public ConfigRead {
    ignoredKeys = List.copyOf(ignoredKeys);
  }
}
