package lmlab.train;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import lmlab.io.AtomicDirectory;
import lmlab.io.Checkpoint;
import lmlab.models.LanguageModel;
import lmlab.models.ModelSpec;
import lmlab.models.Models;
import lmlab.nn.ModuleCheckpoint;
import lmlab.nn.Quantization;
import lmlab.nn.lora.Lora;
import lmlab.nn.lora.LoraConfig;
import lmlab.nn.lora.LoraTargets;
import lmlab.nn.lora.PeftAdapter;
import lmlab.nn.weights.QuantMethod;
import lmlab.tensor.Rng;

/**
 * Fine-tuning a base checkpoint (spec lora.md): the run's model gets the base's weights, then,
 * optionally, its Linear weights inside model.layers quantised (QLoRA) and LoRA adapters (everything
 * else frozen). With adapters, a checkpoint is the adapter only, as a PEFT directory whose
 * adapter_config.json names the base (plus the trainer's files); without, full fine-tuning, it is
 * the whole model.
 *
 * @param base the base checkpoint directory, as the user named it
 * @param quantize the base's quantiser, or null
 * @param lora the adapters, or null for full fine-tuning
 * @param seed the adapters' init seed (A)
 */
public record Finetune(Path base, QuantMethod quantize, LoraConfig lora, long seed) implements ModelSetup {
  public Finetune {
    if (base == null) throw new IllegalArgumentException("finetune: no base model");
    if (quantize != null && lora == null) {
      throw new IllegalArgumentException("--quantize " + quantize.label() + " needs --lora-rank: a quantised base is frozen, "
          + "only adapters train on it (QLoRA)");
    }
  }

  /** "full", "lora" or "qlora". */
  public String mode() {
    return lora == null ? "full" : quantize == null ? "lora" : "qlora";
  }

  @Override
  public void prepare(LanguageModel model, Rng dropout) throws IOException {
    if (Quantization.isQuantized(base)) {
      Quantization.loadInto(base, model);
    } else {
      ModuleCheckpoint.loadWeights(base, model, Models.readConfig(base).type().weightMapper(), true);
    }
    if (quantize != null) Quantization.quantize(model, quantize);
    if (lora != null) Lora.attach(model, lora, seed, dropout);
  }

  @Override
  public void save(Path dir, ModelSpec spec, LanguageModel model, AtomicDirectory.Content extra) throws IOException {
    if (lora == null) {
      Checkpoint.save(dir, spec.toJson(), model.stateDict(), extra);
      return;
    }
    AtomicDirectory.write(dir, tmp -> {
      PeftAdapter.writeFiles(tmp, model, lora, base.toString());
      extra.write(tmp);
    });
  }

  @Override
  public List<String> checkpointFiles() {
    return lora == null ? ModelSetup.super.checkpointFiles() : List.of(PeftAdapter.CONFIG, PeftAdapter.WEIGHTS);
  }

  @Override
  public void load(Path dir, LanguageModel model) throws IOException {
    if (lora == null) ModuleCheckpoint.loadInto(dir, model);
    else PeftAdapter.loadTensors(model, dir);
  }

  /** What config.json records under "finetune" (read back by {@link #fromJson}). */
  public ObjectNode toJson() {
    ObjectNode o = RunDirectory.JSON.createObjectNode();
    o.put("base", base.toString());
    o.put("mode", mode());
    if (quantize != null) {
      o.put("quantize", quantize.label());
      o.put("block_size", quantize.blockSize() == 0 ? QuantMethod.DEFAULT_BLOCK : quantize.blockSize());
    }
    if (lora != null) {
      ObjectNode l = o.putObject("lora");
      l.put("r", lora.rank());
      l.put("lora_alpha", lora.alpha());
      l.put("lora_dropout", lora.dropout());
      l.put("use_rslora", lora.rslora());
      l.put("target_modules", lora.targets().describe());
      l.put("seed", seed);
    }
    return o;
  }

  /** The setup a run's config.json "finetune" object records. */
  public static Finetune fromJson(JsonNode o) {
    if (o == null || !o.isObject()) throw new IllegalArgumentException("no \"finetune\" object");
    QuantMethod q = o.hasNonNull("quantize") ? QuantMethod.parse(o.get("quantize").asText(), o.path("block_size").asInt(64)) : null;
    LoraConfig lora = null;
    long seed = 0;
    JsonNode l = o.get("lora");
    if (l != null && l.isObject()) {
      lora = new LoraConfig(l.path("r").asInt(), l.path("lora_alpha").asDouble(), l.path("lora_dropout").asDouble(0),
          l.path("use_rslora").asBoolean(false), LoraTargets.parse(l.path("target_modules").asText()));
      seed = l.path("seed").asLong(0);
    }
    return new Finetune(Path.of(o.path("base").asText()), q, lora, seed);
  }
}
