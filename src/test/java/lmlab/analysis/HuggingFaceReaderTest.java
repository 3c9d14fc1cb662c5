package lmlab.analysis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Files;
import java.nio.file.Path;
import lmlab.models.Models;
import lmlab.models.TransformerConfig;
import org.junit.jupiter.api.Test;

/** The one reader of Hugging Face configs (issue #11): what the engine and the analyser used to disagree on. */
class HuggingFaceReaderTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  private static long analyser(ObjectNode json) {
    return Analysis.of(Configurations.fromJson("t", json), Analysis.Setting.of(1)).value("parameters");
  }

  @Test
  void theAnalysersQwen25ConfigIsReadByTheEngineWithItsIgnoredKeysListed() throws Exception {
    ObjectNode json = (ObjectNode) JSON.readTree(Files.readString(Path.of("src/test/resources/analysis/qwen2.5-0.5b/config.json")));
    Models.Read r = Models.read(json);
    assertThat(r.ignoredKeys()).contains("use_mrope", "torch_dtype", "architectures", "bos_token_id");
    TransformerConfig c = r.spec().configAs(TransformerConfig.class);
    assertThat(c.attentionBias()).isTrue();
    assertThat(c.oProjBias()).isFalse();
    json.put("use_mrope", true); // multimodal RoPE would change the computation
    assertThatThrownBy(() -> Models.read(json)).hasMessageContaining("use_mrope=true is not supported");
  }

  @Test
  void aHuggingFaceGpt2ConfigIsTheTransformerWithGpt2sLayout() throws Exception {
    ObjectNode json = (ObjectNode) JSON.readTree(Files.readString(Path.of("src/test/resources/hf-configs/gpt2/config.json")));
    TransformerConfig c = Models.parseConfig(json).configAs(TransformerConfig.class);
    assertThat(c.hiddenSize()).isEqualTo(768);
    assertThat(c.position()).isEqualTo(TransformerConfig.Position.LEARNED);
    assertThat(c.norm()).isEqualTo(TransformerConfig.NormKind.LAYERNORM);
    assertThat(c.normEps()).isEqualTo(1e-5);
    assertThat(c.hiddenAct()).isEqualTo("gelu_tanh"); // gelu_new
    assertThat(c.attentionBias() && c.oProjBias() && c.mlpBias() && c.tieWordEmbeddings()).isTrue();
    assertThat(c.intermediateSize()).isEqualTo(4 * 768); // n_inner null
    assertThat(c.dropout()).isEqualTo(0.1);
    json.put("scale_attn_by_inverse_layer_idx", true);
    assertThatThrownBy(() -> Models.parseConfig(json)).hasMessageContaining("scale_attn_by_inverse_layer_idx=true");
    json.put("scale_attn_by_inverse_layer_idx", false);
    json.put("attn_pdrop", 0.2);
    assertThatThrownBy(() -> Models.parseConfig(json)).hasMessageContaining("attn_pdrop=0.2").hasMessageContaining("one 'dropout'");
  }

  @Test
  void aQwen2ConfigWithoutAttentionBiasHasOneCount() throws Exception {
    ObjectNode json = (ObjectNode) JSON.readTree(Files.readString(Path.of("src/test/resources/fixtures/qwen2_hf/config.json")));
    json.put("attention_bias", false);
    long engine = Models.parseConfig(json).uninitialisedModel().numParameters();
    assertThat(engine).isEqualTo(analyser(json));
    json.remove("attention_bias");
    assertThat(Models.parseConfig(json).uninitialisedModel().numParameters()).isEqualTo(analyser(json));
  }
}
