package lmlab.cli;

import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import lmlab.autograd.Autograd;
import lmlab.io.Safetensors;
import lmlab.io.SafetensorsFile;
import lmlab.models.LanguageModel;
import lmlab.models.Transformer;
import lmlab.tensor.IntTensor;
import lmlab.tensor.Shape;
import lmlab.tensor.Tensor;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code lmlab forward}: runs a checkpoint on one sequence or a batch and writes what it computes
 * to a safetensors file under the tensor names of the fixtures' {@code io.safetensors}, so a model
 * can be inspected and compared with another framework.
 */
@Command(
    name = "forward",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    description = {
      "Run a checkpoint on tokens and write its outputs to a safetensors file, named as in the fixtures' "
          + "io.safetensors:",
      "  tokens, targets  I64 (B, S), as given",
      "  logits           (B, S, V)",
      "  loss             mean next-token cross-entropy over all B*S positions",
      "                   (when there are targets)",
      "  hidden_states    (B, N_layer, S, d), each block's output (--hidden-states)",
      "  attentions       (B, N_layer, H, S, S), Transformers only (--attentions)",
      "  h_n, c_n         (L, B, d_h), final states of recurrent models",
      "  grad.<param>     d loss / d param for every parameter (--grads, needs targets)",
      "The model runs in eval mode (dropout off); a one-line summary goes to stderr.",
      "Exit codes: 1 when the checkpoint or input file cannot be used (missing, malformed, not matching "
          + "the model, ids out of range); 2 for usage errors (option syntax or combination, ids out of "
          + "range in --tokens/--targets).",
      ""
    })
public final class ForwardCommand implements Runnable {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Option(names = "--model", required = true, paramLabel = "DIR",
      description = "Checkpoint directory: config.json and model.safetensors.")
  Path model;

  @Option(names = "--adapter", paramLabel = "DIR",
      description = "A PEFT LoRA adapter directory (adapter_config.json + adapter_model.safetensors) applied to the model, or a LoRA"
          + " fine-tuning run (its best adapter, else its latest).")
  Path adapter;

  @Option(names = "--quantize", paramLabel = "METHOD",
      description = "Quantise every Linear weight inside model.layers before the adapter (QLoRA's base): none (default), "
          + "nf4, nf4-dq, int8, intM, absmax-mM, blockwise-mM (M in 2..8).")
  String quantize;

  @Option(names = "--block-size", paramLabel = "B", description = "Block size of the block-wise quantisers (default 64).")
  int blockSize = lmlab.nn.weights.QuantMethod.DEFAULT_BLOCK;

  @Option(names = "--tokens", paramLabel = "IDS",
      description = "One sequence of token ids, comma-separated (e.g. 3,1,4): B = 1.")
  String tokens;

  @Option(names = "--targets", paramLabel = "IDS",
      description = "Next-token targets for --tokens, as many ids, comma-separated: adds the loss.")
  String targets;

  @Option(names = "--input", paramLabel = "FILE",
      description = "A safetensors file with 'tokens' (B, S) (or (S)) and optionally 'targets' of the same shape.")
  Path input;

  @Option(names = "--out", required = true, paramLabel = "FILE",
      description = "The safetensors file to write (atomically; its directory must exist).")
  Path out;

  @Option(names = "--hidden-states", description = "Also write hidden_states.")
  boolean hiddenStates;

  @Option(names = "--attentions", description = "Also write attentions (Transformers only).")
  boolean attentions;

  @Option(names = "--grads", description = "Also write grad.<parameter> for every parameter (needs targets).")
  boolean grads;

  @Override
  public void run() {
    CommandLine cl = spec.commandLine();
    if ((tokens == null) == (input == null)) {
      throw new CommandLine.ParameterException(cl, tokens == null
          ? "give the tokens: --tokens IDS or --input FILE"
          : "--tokens and --input are alternatives; give one");
    }
    if (targets != null && tokens == null) {
      throw new CommandLine.ParameterException(cl, "--targets goes with --tokens (with --input, the file's "
          + "'targets' tensor is used)");
    }
    if (grads && tokens != null && targets == null) {
      throw new CommandLine.ParameterException(cl, "--grads needs targets: the gradients are those of the loss "
          + "(give --targets, or drop --grads)");
    }
    IntTensor tok;
    IntTensor tgt = null;
    if (tokens != null) {
      tok = parseIds(cl, "--tokens", tokens);
      if (targets != null) {
        tgt = parseIds(cl, "--targets", targets);
        if (tgt.size(1) != tok.size(1)) {
          throw new CommandLine.ParameterException(cl, "--targets has " + tgt.size(1) + " ids but --tokens has "
              + tok.size(1) + " (one target per position)");
        }
      }
    } else {
      IntTensor[] read = readInput(cl);
      tok = read[0];
      tgt = read[1];
    }

    LanguageModel m = AdaptedModels.load(cl, model, AdaptedModels.method(cl, quantize, blockSize), adapter);
    m.eval();
    String kind = m instanceof Transformer ? "Transformer" : m.config().path("model_type").asText("model");
    if (attentions && !(m instanceof Transformer)) {
      throw new CommandLine.ParameterException(cl, "--attentions: " + kind + " " + model
          + " has no attention weights (only Transformers return attentions)");
    }
    boolean fromCli = tokens != null;
    checkIds(cl, fromCli, "token", tok, m.vocabSize());
    if (tgt != null) checkIds(cl, fromCli, "target", tgt, m.vocabSize());

    Map<String, Tensor> floats = new LinkedHashMap<>();
    Map<String, IntTensor> ints = new LinkedHashMap<>();
    ints.put("tokens", tok);
    if (tgt != null) ints.put("targets", tgt);
    LanguageModel.Request request = new LanguageModel.Request(hiddenStates, attentions);
    Tensor loss = null;
    LanguageModel.Output o;
    if (grads) {
      m.zeroGrad();
      o = m.forward(tok, request);
      loss = Transformer.loss(o.logits(), tgt);
      loss.backward();
    } else {
      try (var g = Autograd.noGrad()) {
        o = m.forward(tok, request);
        if (tgt != null) loss = Transformer.loss(o.logits(), tgt);
      }
    }
    floats.put("logits", o.logits().detach());
    if (loss != null) floats.put("loss", loss.detach());
    if (hiddenStates) {
      if (o.hiddenStates() == null) throw new IllegalStateException(kind + " returned no hidden states");
      floats.put("hidden_states", o.hiddenStates().detach());
    }
    if (attentions) {
      if (o.attentions() == null) throw new IllegalStateException(kind + " returned no attention weights");
      floats.put("attentions", o.attentions().detach());
    }
    for (var e : o.extras().entrySet()) floats.put(e.getKey(), e.getValue().detach());
    int nGrads = 0;
    if (grads) {
      for (var e : m.namedParameters().entrySet()) {
        Tensor g = e.getValue().grad();
        floats.put("grad." + e.getKey(), g != null ? g.copy() : Tensor.zeros(e.getValue().shape()));
        nGrads++;
      }
    }

    Map<String, String> metadata = new LinkedHashMap<>();
    metadata.put("generator", "lmlab forward");
    metadata.put("model", model.toString());
    if (adapter != null) metadata.put("adapter", adapter.toString());
    if (quantize != null) metadata.put("quantize", quantize);
    metadata.put("num_parameters", Long.toString(m.numParameters()));
    if (loss != null) metadata.put("loss", "mean over all B*S positions of cross-entropy(logits[b,s], targets[b,s])");
    try {
      Safetensors.write(out, floats, ints, metadata);
    } catch (IOException e) {
      throw new CommandLine.ExecutionException(cl, e.getMessage(), e);
    }

    StringBuilder s = new StringBuilder("lmlab forward: ").append(kind).append(' ').append("B=").append(tok.size(0))
        .append(" S=").append(tok.size(1)).append(": wrote ").append(out).append(" (logits ")
        .append(Shape.str(o.logits().shape()));
    if (loss != null) s.append(String.format(Locale.ROOT, ", loss %.6f", loss.item()));
    if (hiddenStates) s.append(", hidden_states");
    if (attentions) s.append(", attentions");
    for (String k : o.extras().keySet()) s.append(", ").append(k);
    if (grads) s.append(", ").append(nGrads).append(" gradients");
    cl.getErr().println(s.append(')'));
  }

  /** "3,1,4" → a (1, 3) id tensor; syntax errors are usage errors naming the option. */
  private static IntTensor parseIds(CommandLine cl, String option, String text) {
    String[] parts = text.split(",", -1);
    int[] ids = new int[parts.length];
    for (int i = 0; i < parts.length; i++) {
      String p = parts[i].trim();
      try {
        ids[i] = Integer.parseInt(p);
      } catch (NumberFormatException e) {
        throw new CommandLine.ParameterException(cl, option + ": '" + p + "' (item " + i + " of '" + text
            + "') is not an integer id; expected comma-separated ids like 3,1,4");
      }
    }
    return IntTensor.of(ids, 1, ids.length);
  }

  /** tokens and targets of --input; shape (S) is taken as (1, S). */
  private IntTensor[] readInput(CommandLine cl) {
    try (SafetensorsFile f = Safetensors.read(input)) {
      if (!f.has("tokens")) {
        throw new CommandLine.ExecutionException(cl, input + ": no tensor 'tokens' (expected token ids (B, S); "
            + "the file has " + (f.names().isEmpty() ? "no tensors" : String.join(", ", f.names())) + ")");
      }
      IntTensor tok = ids(cl, f, "tokens");
      IntTensor tgt = null;
      if (f.has("targets")) {
        tgt = ids(cl, f, "targets");
        if (!Shape.same(tgt.shape(), tok.shape())) {
          throw new CommandLine.ExecutionException(cl, input + ": 'targets' has shape " + Shape.str(tgt.shape())
              + " but 'tokens' has " + Shape.str(tok.shape()) + " (one target per position)");
        }
      } else if (grads) {
        throw new CommandLine.ParameterException(cl, "--grads needs targets: " + input
            + " has no tensor 'targets' (add one of the shape of 'tokens', or drop --grads)");
      }
      return new IntTensor[] {tok, tgt};
    } catch (IOException e) {
      throw new CommandLine.ExecutionException(cl, e.getMessage(), e);
    }
  }

  private IntTensor ids(CommandLine cl, SafetensorsFile f, String name) {
    IntTensor t;
    try {
      t = f.ints(name);
    } catch (IllegalArgumentException e) {
      throw new CommandLine.ExecutionException(cl, e.getMessage(), e);
    }
    if (t.dim() == 1) t = t.reshape(1, t.size(0));
    if (t.dim() != 2 || t.size(0) < 1 || t.size(1) < 1) {
      throw new CommandLine.ExecutionException(cl, input + ": '" + name + "' has shape " + Shape.str(t.shape())
          + "; expected (B, S) (or (S)) with B, S >= 1");
    }
    return t;
  }

  /** Every id in [0, vocab): the first one outside is named with its position and the vocabulary size. */
  private void checkIds(CommandLine cl, boolean fromCli, String what, IntTensor t, int vocab) {
    int[] ids = t.toArray();
    int s = t.size(1);
    for (int i = 0; i < ids.length; i++) {
      if (ids[i] >= 0 && ids[i] < vocab) continue;
      String where = fromCli
          ? "position " + i + " of --" + what + "s"
          : "(batch " + i / s + ", position " + i % s + ") of '" + what + "s' in " + input;
      String msg = what + " id " + ids[i] + " at " + where + " is out of range for vocab_size " + vocab
          + " of " + model + " (valid ids 0.." + (vocab - 1) + ")";
      if (fromCli) throw new CommandLine.ParameterException(cl, msg);
      throw new CommandLine.ExecutionException(cl, msg);
    }
  }
}
