package lmlab.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import lmlab.models.Models;
import lmlab.models.Transformer;
import lmlab.nn.ModuleCheckpoint;
import lmlab.tensor.IntTensor;
import lmlab.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Frozen parameters (module surgery's requiresGrad(false)) take no part in training: no gradient,
 * no optimizer state, no update, no share of the clipped norm; and a run with frozen parameters
 * resumes from its checkpoint exactly.
 */
class FrozenParametersTest {
  static final IntTensor TOKENS = IntTensor.of(new int[] {1, 2, 3, 4, 5, 6, 7, 8}, 2, 4);
  static final IntTensor TARGETS = IntTensor.of(new int[] {2, 3, 4, 5, 6, 7, 8, 9}, 2, 4);

  static Transformer model(long seed) {
    Transformer t = (Transformer) Models.preset("gpt", Map.of("vocab_size", "11", "hidden_size", "16",
        "num_hidden_layers", "2", "num_attention_heads", "2", "max_position_embeddings", "8")).newModel(seed);
    freeze(t);
    return t;
  }

  /** The embeddings and the first block frozen: what a fine-tuning of the upper layers does. */
  static void freeze(Transformer t) {
    t.module("model.embed_tokens").requiresGrad(false);
    t.module("model.layers.0").requiresGrad(false);
  }

  static void step(Transformer t, Optimizer opt, double clip) {
    Tensor loss = t.logits(TOKENS).reshape(8, 11).crossEntropy(TARGETS.reshape(8));
    loss.backward();
    GradClip.clip(t.trainableParameters().values(), clip);
    opt.step();
    opt.zeroGrad();
  }

  @Test
  void frozenParametersGetNoGradientNoStateAndNoUpdate() {
    Transformer t = model(1);
    Map<String, Tensor> trainable = t.trainableParameters();
    List<String> frozen = new ArrayList<>(t.namedParameters().keySet());
    frozen.removeAll(trainable.keySet());
    assertThat(frozen).contains("model.embed_tokens.weight", "model.layers.0.self_attn.q_proj.weight")
        .allMatch(n -> n.startsWith("model.embed_tokens.") || n.startsWith("model.layers.0."));
    Map<String, float[]> before = new LinkedHashMap<>();
    t.namedParameters().forEach((n, p) -> before.put(n, p.toArray()));

    AdamW adam = new AdamW(trainable, 1e-2, 0.1);
    assertThat(adam.stateTensors().keySet())
        .hasSize(2 * trainable.size())
        .noneMatch(k -> frozen.stream().anyMatch(k::endsWith));
    Tensor loss = t.logits(TOKENS).reshape(8, 11).crossEntropy(TARGETS.reshape(8));
    loss.backward();
    for (String n : frozen) assertThat(t.namedParameters().get(n).grad()).as(n).isNull();
    for (var e : trainable.entrySet()) assertThat(e.getValue().grad()).as(e.getKey()).isNotNull();
    adam.step();
    t.namedParameters().forEach((n, p) -> {
      if (frozen.contains(n)) {
        assertThat(p.toArray()).as(n).containsExactly(before.get(n));
      } else if (!n.endsWith("bias") && !n.contains("norm")) {
        assertThat(p.toArray()).as(n).isNotEqualTo(before.get(n));
      }
    });

    Sgd sgd = new Sgd(t.trainableParameters(), 0.1, 0.9, 0.0);
    assertThat(sgd.stateTensors()).hasSize(trainable.size());
  }

  /**
   * Three steps, checkpoint (model + optimizer state of the trainable parameters), a fresh model
   * frozen the same way restored from it, three more steps: bit for bit the six-step run. The
   * state file holds no frozen parameter, and an optimizer over every parameter refuses it by name.
   */
  @Test
  void aRunWithFrozenParametersResumesExactly(@TempDir Path tmp) throws IOException {
    Transformer full = model(1);
    AdamW fullOpt = new AdamW(full.trainableParameters(), 1e-2, 0.1);
    for (int i = 0; i < 6; i++) step(full, fullOpt, 0.5);

    Transformer first = model(1);
    AdamW firstOpt = new AdamW(first.trainableParameters(), 1e-2, 0.1);
    for (int i = 0; i < 3; i++) step(first, firstOpt, 0.5);
    Path ck = tmp.resolve("ck");
    ModuleCheckpoint.save(ck, JsonNodeFactory.instance.objectNode().put("model_type", "test"), first);
    firstOpt.save(tmp.resolve("optimizer.safetensors"));

    Transformer resumed = model(7); // other weights, same freezing
    ModuleCheckpoint.loadInto(ck, resumed);
    assertThat(resumed.trainableParameters().keySet()).containsExactlyElementsOf(first.trainableParameters().keySet());
    AdamW resumedOpt = new AdamW(resumed.trainableParameters(), 1e-2, 0.1);
    resumedOpt.load(tmp.resolve("optimizer.safetensors"));
    assertThat(resumedOpt.steps()).isEqualTo(3);
    for (int i = 0; i < 3; i++) step(resumed, resumedOpt, 0.5);

    full.stateDict().forEach((n, p) ->
        assertThat(resumed.stateDict().get(n).toArray()).as(n).containsExactly(p.toArray()));

    Transformer unfrozen = model(7);
    unfrozen.requiresGrad(true);
    AdamW everything = new AdamW(unfrozen.trainableParameters(), 1e-2, 0.1);
    assertThatThrownBy(() -> everything.load(tmp.resolve("optimizer.safetensors")))
        .hasMessageContaining("optimizer state is missing tensor 'exp_avg.model.embed_tokens.weight'");
  }

  @Test
  void clippingAndTheParameterNormSeeOnlyTrainableParameters() {
    Transformer t = model(1);
    Tensor loss = t.logits(TOKENS).reshape(8, 11).crossEntropy(TARGETS.reshape(8));
    loss.backward();
    double all = GradClip.gradNorm(t.parameters());
    double trainable = GradClip.gradNorm(t.trainableParameters().values());
    assertThat(trainable).isEqualTo(all); // frozen ones have no gradient at all
    assertThat(GradClip.norm(t.trainableParameters().values())).isLessThan(GradClip.norm(t.parameters()));
  }
}
