package lmlab.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import lmlab.decode.Eos;
import lmlab.decode.GenerationConfig;
import lmlab.decode.NextTokenModel;
import lmlab.decode.Sequence;
import lmlab.decode.SteppedModel;
import lmlab.decode.Strategy;
import lmlab.decode.TokenSink;
import lmlab.models.LanguageModel;
import lmlab.models.Models;
import lmlab.nn.WeightFormats;
import lmlab.tokenize.ChatTemplate;
import lmlab.tokenize.StreamingDecoder;
import lmlab.tokenize.TokenizerException;
import lmlab.train.RunDirectory;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code lmlab generate}: decodes from a checkpoint with one of decoding.md's strategies. The steps
 * are separate methods so other model sources plug in small: {@link #load} (the model, its
 * tokenizer and end-of-sequence ids from --model), {@link #promptIds} (the prompt as ids), then
 * the strategy over the model's batched step, then the output (text streamed as it is generated
 * for a single sequence, or one JSON object).
 */
@Command(
    name = "generate",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    description = {
      "Generate tokens from a checkpoint (decoding.md).",
      "The model runs in eval mode and steps its own layers (KV cache / recurrent state); several "
          + "sequences advance in one batched step.",
      "  greedy      argmax at every step (ties to the lower id)",
      "  beam        beam search (course Algorithm 1), --beams B hypotheses in one",
      "              batched step",
      "  sample      temperature, then top-k, top-p, min-p; seeded (--seed),",
      "              --samples N sequences",
      "  exhaustive  every sequence of up to T tokens (refused when",
      "              V^T > --max-sequences)",
      "Output: --format text prints the prompt and the new text as it is generated (token ids when the "
          + "checkpoint has no tokenizer); --format json prints one object with each sequence's token ids, "
          + "text, per-token log-probabilities and log-likelihood (the model's own log-softmax, before any "
          + "sampling filter).",
      "Generation stops at an end-of-sequence id (generation_config.json / config.json eos_token_id, else "
          + "the tokenizer's eos_token; --eos overrides) or after --max-new-tokens (cut at the end of the "
          + "context, max_position_embeddings). Hugging Face directories (gpt2, llama, mistral, qwen2) load "
          + "as they are; their generation_config.json defaults (do_sample, temperature, top_k, top_p, "
          + "min_p, repetition_penalty, max_new_tokens) apply to every flag not given.",
      ""
    })
public final class GenerateCommand implements Runnable {
  private static final ObjectMapper JSON = new ObjectMapper();

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Option(names = "--model", required = true, paramLabel = "DIR",
      description = "Checkpoint directory (config.json, model.safetensors and, for --prompt, a tokenizer), "
          + "or a run directory: its checkpoints/best, else checkpoints/latest.")
  Path model;

  @Option(names = "--adapter", paramLabel = "DIR", description = "A PEFT LoRA adapter directory applied to the model, or a LoRA fine-tuning run (its best adapter, else its latest).")
  Path adapter;

  @Option(names = "--quantize", paramLabel = "METHOD",
      description = "Quantise the Linear weights inside model.layers first: none (default), nf4, nf4-dq, int8, intM, absmax-mM.")
  String quantize;

  @Option(names = "--prompt", paramLabel = "TEXT", description = "The prompt as text (needs the checkpoint's tokenizer).")
  String prompt;

  @Option(names = "--tokens", paramLabel = "IDS", description = "The prompt as token ids, comma-separated (e.g. 3,1,4).")
  String tokens;

  @CommandLine.Mixin DecodingOptions decoding;

  @Option(names = "--max-new-tokens", paramLabel = "T", defaultValue = "100",
      description = "Most tokens to generate. Default: ${DEFAULT-VALUE}")
  int maxNewTokens;

  @Option(names = "--eos", paramLabel = "ID",
      description = "The end-of-sequence id (-1: none), instead of the checkpoint's.")
  Integer eosId;

  @CommandLine.Mixin WeightsOption weights;

  @CommandLine.Mixin KvCacheOption kvCache;

  @Option(names = "--chat", description = "Wrap --prompt as a user message in the tokenizer's chat template (ChatML; "
      + "Qwen2.5 adds its default system prompt) and print only the answer.")
  boolean chat;

  @Option(names = "--system", paramLabel = "TEXT", description = "With --chat: a system message before the prompt.")
  String system;

  @Option(names = "--chat-format", paramLabel = "FORMAT",
      description = "With --chat: chatml, qwen2.5 or qwen3 instead of the format detected from the chat template.")
  String chatFormat;

  @Option(names = "--format", paramLabel = "FORMAT", defaultValue = "text",
      description = "text or json. Default: ${DEFAULT-VALUE}")
  String format;

  @Override
  public void run() {
    CommandLine cl = spec.commandLine();
    applyGenerationConfig(cl);
    Strategy s = decoding.validate(cl);
    boolean json = switch (format) {
      case "text" -> false;
      case "json" -> true;
      default -> throw new CommandLine.ParameterException(cl, "--format '" + format + "' is not one of text, json");
    };
    Flags.atLeast(cl, "--max-new-tokens", maxNewTokens, 0);
    if ((prompt == null) == (tokens == null)) {
      throw new CommandLine.ParameterException(cl, prompt == null
          ? "give the prompt: --prompt TEXT or --tokens IDS" : "--prompt and --tokens are alternatives; give one");
    }
    if (!chat && (system != null || chatFormat != null)) {
      throw new CommandLine.ParameterException(cl, (system != null ? "--system" : "--chat-format") + " applies to --chat");
    }
    if (chat && prompt == null) throw new CommandLine.ParameterException(cl, "--chat wraps --prompt TEXT; give it");
    TextTarget target = load(cl);
    int[] ids = promptIds(cl, target);
    try {
      target.checkPrompt(ids.length);
    } catch (IllegalArgumentException e) {
      throw new CommandLine.ExecutionException(cl, e.getMessage(), e);
    }
    int maxNewTokens = target.room(ids.length, this.maxNewTokens);
    NextTokenModel lm = new SteppedModel(target.model());
    PrintWriter out = cl.getOut();
    boolean stream = !json && decoding.streams(s);
    TokenSink sink = TokenSink.NONE;
    StreamingDecoder text = target.tokenizer() == null ? null : target.tokenizer().streamingDecoder(true);
    if (stream) {
      if (!chat) {
        out.print(target.tokenizer() == null ? ids(ids) + " |" : prompt != null ? prompt : target.tokenizer().decode(ids));
      }
      out.flush();
      boolean[] first = {true};
      sink = (token, logProb) -> {
        out.print(text == null ? (first[0] ? " " : ",") + token : text.next(token));
        first[0] = false;
        out.flush();
        return true;
      };
    }
    List<Sequence> result;
    try {
      result = decoding.run(cl, s, lm, ids, maxNewTokens, target.eos(), sink);
    } catch (IllegalArgumentException e) {
      if (stream) out.println();
      throw new CommandLine.ExecutionException(cl, e.getMessage(), e);
    }
    if (stream) {
      if (text != null) out.print(text.finish());
      out.println();
    } else if (json) {
      out.println(json(s, ids, target, result));
    } else {
      for (int i = 0; i < result.size(); i++) {
        Sequence q = result.get(i);
        out.printf(java.util.Locale.ROOT, "# sequence %d: log-likelihood %.6f%s%n", i, q.logLikelihood(),
            q.score() != q.logLikelihood() ? String.format(java.util.Locale.ROOT, " (score %.6f)", q.score()) : "");
        out.println(target.tokenizer() == null ? ids(ids) + " | " + ids(q.tokens())
            : target.tokenizer().decode(ids) + target.tokenizer().decode(q.tokens(), true));
      }
    }
    out.flush();
  }

  /** The model (eval mode), its tokenizer when the directory has one, and its end-of-sequence ids (or --eos). */
  TextTarget load(CommandLine cl) {
    try { // a run directory stands for its best checkpoint, else its latest
      model = RunDirectory.modelCheckpoint(model, RunDirectory.BEST, RunDirectory.LATEST);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("--model " + e.getMessage(), e);
    }
    WeightFormats f = weights.format(cl);
    kvCache.format(cl); // a bad name fails before the model loads
    LanguageModel m;
    if (f == WeightFormats.F32) {
      m = AdaptedModels.load(cl, model,
          AdaptedModels.method(cl, quantize, lmlab.nn.weights.QuantMethod.DEFAULT_BLOCK), adapter);
    } else {
      if (adapter != null || quantize != null) {
        throw new CommandLine.ParameterException(cl, "--weights " + weights.value
            + ": --adapter and --quantize need float32 weights (--weights f32)");
      }
      try {
        m = Models.load(model, f);
      } catch (IOException e) {
        throw new CommandLine.ExecutionException(cl, e.getMessage(), e);
      }
    }
    kvCache.applyTo(cl, m);
    TextTarget target = TextTarget.of(cl, model, m);
    if (eosId == null) return target;
    try {
      Eos eos = Eos.of(eosId);
      eos.check(m.vocabSize());
      return target.withEos(eos);
    } catch (IllegalArgumentException e) {
      throw new CommandLine.ParameterException(cl, "--eos: " + e.getMessage());
    }
  }

  /** The prompt's ids: --tokens as given (each in the vocabulary), or --prompt through the tokenizer. */
  int[] promptIds(CommandLine cl, TextTarget target) {
    int vocab = target.model().vocabSize();
    if (tokens != null) {
      int[] ids = parseIds(cl, "--tokens", tokens);
      for (int i = 0; i < ids.length; i++) {
        if (ids[i] < 0 || ids[i] >= vocab) {
          throw new CommandLine.ParameterException(cl, "--tokens: token " + ids[i] + " at position " + i
              + " is outside the vocabulary [0, " + vocab + ") of " + model);
        }
      }
      return ids;
    }
    if (target.tokenizer() == null) {
      throw new CommandLine.ParameterException(cl, "--prompt needs a tokenizer, and " + model
          + " has none (tokenizer.json or vocab.json); give --tokens IDS");
    }
    if (prompt.isEmpty()) throw new CommandLine.ParameterException(cl, "--prompt is empty; give at least one character");
    try {
      if (chat) {
        ChatTemplate template = ChatTemplate.forTokenizer(target.tokenizer(), chatFormat(cl));
        List<ChatTemplate.Message> messages = system == null ? List.of(ChatTemplate.Message.user(prompt))
            : List.of(ChatTemplate.Message.system(system), ChatTemplate.Message.user(prompt));
        return template.encode(target.tokenizer(), messages, true, true);
      }
      return target.tokenizer().encode(prompt);
    } catch (TokenizerException e) {
      throw new CommandLine.ParameterException(cl, (chat ? "--chat: " : "--prompt: ") + e.getMessage());
    }
  }

  private Optional<ChatTemplate.Format> chatFormat(CommandLine cl) {
    if (chatFormat == null) return Optional.empty();
    try {
      return Optional.of(ChatTemplate.Format.named(chatFormat));
    } catch (IllegalArgumentException e) {
      throw new CommandLine.ParameterException(cl, "--chat-format: " + e.getMessage());
    }
  }

  /**
   * The directory's generation_config.json defaults for every decoding flag not given: do_sample
   * picks the strategy (transformers' rule: absent or false is greedy), then temperature, top_k,
   * top_p, min_p, repetition_penalty and max_new_tokens. A note on standard error says what was used.
   */
  private void applyGenerationConfig(CommandLine cl) {
    GenerationConfig g;
    try {
      g = GenerationConfig.read(model);
    } catch (IOException e) {
      throw new CommandLine.ExecutionException(cl, e.getMessage(), e);
    }
    if (g == GenerationConfig.NONE) return;
    var parsed = cl.getParseResult();
    List<String> used = new java.util.ArrayList<>();
    if (!parsed.hasMatchedOption("--max-new-tokens") && g.maxNewTokens() != null) {
      maxNewTokens = g.maxNewTokens();
      used.add("max_new_tokens=" + maxNewTokens);
    }
    boolean sample = parsed.hasMatchedOption("--strategy") ? decoding.strategy.equalsIgnoreCase("sample")
        : Boolean.TRUE.equals(g.doSample());
    if (!parsed.hasMatchedOption("--strategy") && g.doSample() != null) {
      decoding.strategy = sample ? "sample" : "greedy";
      used.add("do_sample=" + g.doSample());
    }
    if (sample) {
      if (!parsed.hasMatchedOption("--temperature") && g.temperature() != null) {
        decoding.temperature = g.temperature();
        used.add("temperature=" + decoding.temperature);
      }
      if (!parsed.hasMatchedOption("--top-k") && g.topK() != null) {
        decoding.topK = g.topK();
        used.add("top_k=" + decoding.topK);
      }
      if (!parsed.hasMatchedOption("--top-p") && g.topP() != null) {
        decoding.topP = g.topP();
        used.add("top_p=" + decoding.topP);
      }
      if (!parsed.hasMatchedOption("--min-p") && g.minP() != null) {
        decoding.minP = g.minP();
        used.add("min_p=" + decoding.minP);
      }
      if (!parsed.hasMatchedOption("--repetition-penalty") && g.repetitionPenalty() != null) {
        decoding.repetitionPenalty = g.repetitionPenalty();
        used.add("repetition_penalty=" + decoding.repetitionPenalty);
      }
    }
    if (!used.isEmpty()) {
      cl.getErr().println("lmlab: " + GenerationConfig.FILE + " defaults: " + String.join(" ", used));
      cl.getErr().flush();
    }
  }

  /** "3,1,4" → ids; a syntax error is a usage error naming the option and the item. */
  static int[] parseIds(CommandLine cl, String option, String text) {
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
    return ids;
  }

  private static String ids(int[] ids) {
    StringBuilder s = new StringBuilder();
    for (int i = 0; i < ids.length; i++) s.append(i == 0 ? "" : ",").append(ids[i]);
    return s.toString();
  }

  private String json(Strategy s, int[] ids, TextTarget target, List<Sequence> result) {
    ObjectNode root = JSON.createObjectNode();
    root.put("strategy", s.label());
    if (prompt != null) root.put("prompt", prompt);
    ArrayNode p = root.putArray("prompt_tokens");
    for (int id : ids) p.add(id);
    ArrayNode seqs = root.putArray("sequences");
    for (Sequence q : result) {
      ObjectNode o = seqs.addObject();
      ArrayNode t = o.putArray("tokens");
      for (int id : q.tokens()) t.add(id);
      if (target.tokenizer() != null) o.put("text", target.tokenizer().decode(q.tokens(), true));
      ArrayNode lp = o.putArray("log_probs");
      for (float v : q.logProbs()) lp.add(v);
      o.put("log_likelihood", q.logLikelihood());
      o.put("score", q.score());
      o.put("ended_at_eos", q.endedAtEos());
    }
    try {
      return JSON.writeValueAsString(root);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }
}
