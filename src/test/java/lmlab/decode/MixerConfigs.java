package lmlab.decode;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/** Small config.json objects of the linear-time mixer models, for the decoding tests. */
final class MixerConfigs {
  static final String GLA = "{\"model_type\": \"gla\", \"vocab_size\": 13, \"hidden_size\": 16, \"num_hidden_layers\": 2,"
      + " \"num_heads\": 2, \"intermediate_size\": 24}";
  static final String REGLA = GLA.replace("\"gla\"", "\"regla\"");
  static final String MAMBA2 = "{\"model_type\": \"mamba2\", \"vocab_size\": 13, \"hidden_size\": 16, \"num_hidden_layers\": 2,"
      + " \"head_dim\": 8, \"state_size\": 6, \"n_groups\": 1, \"pad_vocab_size_multiple\": 1, \"tie_word_embeddings\": false}";
  static final String MAMBA2_G2 = "{\"model_type\": \"mamba2\", \"vocab_size\": 13, \"hidden_size\": 16, \"num_hidden_layers\": 2,"
      + " \"head_dim\": 4, \"state_size\": 5, \"n_groups\": 2, \"conv_kernel\": 3, \"use_bias\": true,"
      + " \"time_step_limit\": [0.01, 0.5], \"pad_vocab_size_multiple\": 8}";

  private MixerConfigs() {}

  static JsonNode json(String text) {
    try {
      return new ObjectMapper().readTree(text);
    } catch (java.io.IOException e) {
      throw new IllegalArgumentException(e);
    }
  }
}
