package lmlab.nn.attention;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.Iterator;
import java.util.Map;
import lmlab.io.SafetensorsFile;
import lmlab.tensor.IntTensor;
import lmlab.testing.FixtureAssert;
import org.junit.jupiter.api.Test;

class AttentionMaskTest {
  @Test
  void everyMaskOfTheFixtureMatchesExactly() throws Exception {
    SafetensorsFile f = FixtureAssert.fixture("masks");
    JsonNode cases = new ObjectMapper().readTree(f.metadata().get("masks"));
    int checked = 0;
    for (Iterator<Map.Entry<String, JsonNode>> it = cases.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      JsonNode c = e.getValue();
      int s = c.get("S").asInt();
      AttentionMask m = AttentionMask.parse(c.get("mask").asText(), c.path("max_position_embeddings").asInt(0));
      assertThat(m.spec()).isEqualTo(c.get("mask").asText().replace(" ", ""));
      IntTensor expected = f.ints(e.getKey());
      for (int t = 0; t < s; t++) {
        int n = 0;
        for (int j = 0; j < s; j++) {
          boolean want = expected.get(t, j) != 0;
          assertThat(m.allowed(t, j)).as("%s allowed(%d, %d)", e.getKey(), t, j).isEqualTo(want);
          if (want) n++;
        }
        assertThat(m.count(t)).as("%s n_%d", e.getKey(), t).isEqualTo(n);
        // the visible keys are the progression first(t), first(t) + stride, ..., t
        for (int j = m.first(t); j <= t; j += m.stride()) assertThat(m.allowed(t, j)).isTrue();
      }
      float[] dense = m.dense(s).toArray();
      for (int i = 0; i < s * s; i++) assertThat(dense[i]).isEqualTo(expected.get(i / s, i % s) != 0 ? 1f : 0f);
      checked++;
    }
    assertThat(checked).isEqualTo(13);
  }

  @Test
  void cacheSizesFollowLayersMd() {
    assertThat(AttentionMask.sliding(4).maxHeld()).isEqualTo(3);
    assertThat(AttentionMask.sliding(5).held(2)).isEqualTo(2);
    assertThat(AttentionMask.dilated(128, 2).maxHeld()).isEqualTo(127);
    assertThat(AttentionMask.dilated(8, 2).held(100)).isEqualTo(7);
    AttentionMask bl = AttentionMask.blockLocal(4, 20); // b = 5
    assertThat(bl.held(5)).isEqualTo(5);
    assertThat(bl.held(6)).isEqualTo(1);
    assertThat(bl.held(0)).isZero();
    assertThat(AttentionMask.causal().held(9)).isEqualTo(9);
    assertThat(AttentionMask.causal().maxHeld()).isEqualTo(Integer.MAX_VALUE);
  }

  @Test
  void customMasksAreIntersectedWithCausal() {
    AttentionMask even = AttentionMask.custom("even", (t, j) -> j % 2 == 0);
    assertThat(even.structured()).isFalse();
    assertThat(even.allowed(3, 2)).isTrue();
    assertThat(even.allowed(3, 4)).isFalse();
    assertThat(even.count(4)).isEqualTo(3);
    AttentionMask matrix = AttentionMask.custom(new boolean[][] {{true, true}, {false, true}});
    assertThat(matrix.allowed(0, 1)).isFalse();
    assertThat(matrix.allowed(1, 0)).isFalse();
    assertThatThrownBy(() -> matrix.allowed(2, 0)).hasMessageContaining("beyond the matrix");
    assertThatThrownBy(() -> AttentionMask.custom(new boolean[][] {{true, true}, {true}}))
        .hasMessageContaining("square");
  }

  @Test
  void badSpecsAreClearErrors() {
    assertThatThrownBy(() -> AttentionMask.parse("sliding(0)", 0)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("window w = 0 must be >= 1");
    assertThatThrownBy(() -> AttentionMask.parse("sliding(-3)", 0)).hasMessageContaining("must be >= 1");
    assertThatThrownBy(() -> AttentionMask.parse("dilated(7,2)", 0)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("dilation = 2 must divide window = 7");
    assertThatThrownBy(() -> AttentionMask.parse("dilated(0,2)", 0)).hasMessageContaining("window = 0 must be >= 1");
    assertThatThrownBy(() -> AttentionMask.parse("dilated(8,0)", 0)).hasMessageContaining("dilation = 0 must be >= 1");
    assertThatThrownBy(() -> AttentionMask.parse("block_local(0)", 16)).hasMessageContaining("n_blocks = 0 must be >= 1");
    assertThatThrownBy(() -> AttentionMask.parse("block_local(4)", 0)).hasMessageContaining("max_position_embeddings");
    assertThatThrownBy(() -> AttentionMask.parse("diagonal", 0)).hasMessageContaining("mask 'diagonal'")
        .hasMessageContaining("expected causal, sliding(w)");
    assertThatThrownBy(() -> AttentionMask.parse("sliding(4,2)", 0)).hasMessageContaining("expected sliding(w) with 1");
    assertThatThrownBy(() -> AttentionMask.parse("sliding(x)", 0)).hasMessageContaining("'x' is not an integer");
    assertThatThrownBy(() -> AttentionMask.parse("causal(2)", 0)).hasMessageContaining("causal takes no arguments");
    assertThat(AttentionMask.parse(" Dilated(128, 2) ", 0).spec()).isEqualTo("dilated(128,2)");
  }
}
