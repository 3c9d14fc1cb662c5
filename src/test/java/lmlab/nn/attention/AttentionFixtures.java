package lmlab.nn.attention;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import lmlab.io.SafetensorsFile;

/** Builds the {@link AttentionConfig} an attention fixture's {@code config} metadata describes. */
public final class AttentionFixtures {
  private AttentionFixtures() {}

  public static AttentionConfig config(SafetensorsFile f) {
    try {
      JsonNode c = new ObjectMapper().readTree(f.metadata().get("config"));
      int d = c.get("hidden_size").asInt();
      int nq = c.get("num_attention_heads").asInt();
      int nkv = c.path("num_key_value_heads").asInt(nq);
      int dh = c.path("head_dim").asInt(d / nq);
      int sMax = c.path("max_position_embeddings").asInt(0);
      Rope rope = "rope".equals(c.path("position").asText("none"))
          ? new Rope(c.path("rope_theta").asDouble(10000), Rope.Style.parse(c.path("rope_style").asText("half")), dh)
          : null;
      return new AttentionConfig(d, nq, nkv, dh, c.get("attention_bias").asBoolean(), c.get("o_proj_bias").asBoolean(),
          rope, ScoreFunction.parse(c.path("score").asText("scaled_dot")),
          Normaliser.parse(c.path("attention").asText("softmax")), AttentionMask.parse(c.get("mask").asText(), sMax),
          sMax, 0f);
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new IllegalStateException(f.source() + ": bad config metadata", e);
    }
  }
}
