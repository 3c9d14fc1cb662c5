package lmlab.analysis;

import static org.assertj.core.api.Assertions.assertThat;

import lmlab.models.ModelSpec;
import lmlab.models.Models;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The linear-time mixer presets (mixers.md): the published sizes have their published parameter
 * counts by the closed form (too large to build in the unit tests), the lab sizes are built and
 * agree with the closed form, and mamba2-lab's P is within 20 % of the gpt preset's (issue #16,
 * acceptance 5).
 */
class MixerPresetsTest {
  static long formula(String preset) {
    return Analysis.of(Configurations.of(preset, Models.preset(preset).config()), Analysis.Setting.of(1)).value("parameters");
  }

  @Test
  void publishedSizesHaveTheirPublishedCounts() {
    assertThat(formula("mamba2")).isEqualTo(128_989_632L);
    assertThat(formula("gla")).isEqualTo(341_707_776L);
    assertThat(formula("regla")).isEqualTo(366_296_064L);
  }

  @ParameterizedTest
  @ValueSource(strings = {"gla-mini", "regla-mini", "mamba2-mini", "mamba2-lab", "mamba2"})
  void theBuiltModelAgreesWithTheClosedForm(String preset) {
    ModelSpec s = Models.preset(preset);
    assertThat(s.numParameters()).as(preset).isEqualTo(formula(preset));
  }

  @Test
  void mamba2LabIsGptSized() {
    long gpt = Models.parameterCount(Models.preset("gpt")).excludingEmbeddings();
    long mamba = Models.parameterCount(Models.preset("mamba2-lab")).excludingEmbeddings();
    assertThat((double) mamba / gpt).as("P(mamba2-lab) / P(gpt) = %d / %d", mamba, gpt).isBetween(0.8, 1.2);
  }
}
