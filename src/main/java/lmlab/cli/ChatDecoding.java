package lmlab.cli;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import lmlab.decode.GenerationConfig;
import lmlab.decode.Greedy;
import lmlab.decode.Sample;
import lmlab.decode.Sampling;
import lmlab.decode.Sequence;
import lmlab.decode.SteppedModel;
import lmlab.decode.TokenSink;
import lmlab.models.LanguageModel;
import lmlab.models.Models;
import lmlab.nn.WeightFormats;
import lmlab.tokenize.ChatTemplate;
import lmlab.tokenize.Tokenizer;
import lmlab.tokenize.TokenizerException;
import picocli.CommandLine;
import picocli.CommandLine.Option;

/**
 * The decoding flags of {@code lmlab chat} (a picocli mixin; nullable, so generation_config.json fills what is not given) and what they decode with: the model
 * directory loaded in the asked weight format, its tokenizer, end-of-sequence ids and
 * generation_config.json defaults. A flag given on the command line wins; else the directory's
 * generation_config.json (transformers' rule: {@code do_sample} false or absent means greedy); else
 * the defaults shown.
 */
public final class ChatDecoding {
  @CommandLine.Mixin WeightsOption weights;

  @CommandLine.Mixin KvCacheOption kvCache;

  @Option(names = "--strategy", paramLabel = "NAME",
      description = "greedy or sample. Default: generation_config.json's do_sample, else greedy.")
  String strategy;

  @Option(names = "--max-new-tokens", paramLabel = "T",
      description = "Most tokens per answer. Default: generation_config.json's max_new_tokens, else 512.")
  Integer maxNewTokens;

  @Option(names = "--temperature", paramLabel = "TAU", description = "Sampling: logits / TAU, TAU > 0 (default 1).")
  Double temperature;

  @Option(names = "--top-k", paramLabel = "K", description = "Sampling: keep the K most likely tokens (0: off, default).")
  Integer topK;

  @Option(names = "--top-p", paramLabel = "P", description = "Sampling: nucleus of probability P in (0, 1] (1: off, default).")
  Double topP;

  @Option(names = "--min-p", paramLabel = "P", description = "Sampling: keep tokens of probability >= P x the largest (0: off).")
  Double minP;

  @Option(names = "--repetition-penalty", paramLabel = "R",
      description = "Sampling: CTRL's penalty on tokens already in the sequence (1: off, default).")
  Double repetitionPenalty;

  @Option(names = "--seed", paramLabel = "S", defaultValue = "3407", description = "Sampling seed. Default: ${DEFAULT-VALUE}")
  long seed;

  /** The default answer length when neither a flag nor generation_config.json gives one. */
  static final int DEFAULT_MAX_NEW_TOKENS = 512;

  /**
   * What decoding runs on (the model, its tokenizer, end-of-sequence ids and context) and the
   * resolved strategy (sampling null: greedy) and answer length.
   */
  record Loaded(TextTarget text, Sampling sampling, int maxNewTokens, GenerationConfig generationConfig) {
    Tokenizer tokenizer() {
      return text.tokenizer();
    }

    /** Refuses a prompt that leaves no room in the context; one line naming both lengths. */
    void checkPrompt(int promptTokens) {
      text.checkPrompt(promptTokens);
    }
  }

  /** Loads dir with these options; every problem is a one-line error (usage errors name the flag). */
  Loaded load(CommandLine cl, Path dir) {
    WeightFormats format = weights.format(cl);
    kvCache.format(cl); // a bad name fails before the model loads
    GenerationConfig g;
    LanguageModel m;
    try {
      g = GenerationConfig.read(dir);
      m = Models.load(dir, format);
    } catch (IOException e) {
      throw new CommandLine.ExecutionException(cl, e.getMessage(), e);
    }
    kvCache.applyTo(cl, m);
    return new Loaded(TextTarget.of(cl, dir, m), sampling(cl, g), maxNewTokens(cl, g), g);
  }

  private int maxNewTokens(CommandLine cl, GenerationConfig g) {
    int n = maxNewTokens != null ? maxNewTokens : g.maxNewTokens() != null ? g.maxNewTokens() : DEFAULT_MAX_NEW_TOKENS;
    Flags.atLeast(cl, "--max-new-tokens", n, 1);
    return n;
  }

  /** The sampling settings (null: greedy), flags over generation_config.json over the defaults. */
  private Sampling sampling(CommandLine cl, GenerationConfig g) {
    boolean sample;
    if (strategy != null) {
      sample = switch (strategy.toLowerCase(Locale.ROOT)) {
        case "greedy" -> false;
        case "sample" -> true;
        default -> throw new CommandLine.ParameterException(cl, "--strategy '" + strategy + "' is not one of greedy, sample");
      };
    } else {
      sample = Boolean.TRUE.equals(g.doSample());
    }
    if (!sample) {
      for (Object[] f : new Object[][] {{"--temperature", temperature}, {"--top-k", topK}, {"--top-p", topP},
          {"--min-p", minP}, {"--repetition-penalty", repetitionPenalty}}) {
        if (f[1] != null) {
          throw new CommandLine.ParameterException(cl, f[0] + " applies to sampling; add --strategy sample"
              + (strategy == null ? " (generation_config.json does not sample)" : ""));
        }
      }
      return null;
    }
    double t = pick(temperature, g.temperature(), 1.0);
    int k = topK != null ? topK : g.topK() != null ? g.topK() : 0;
    double p = pick(topP, g.topP(), 1.0);
    double mp = pick(minP, g.minP(), 0.0);
    double r = pick(repetitionPenalty, g.repetitionPenalty(), 1.0);
    try {
      return new Sampling(t, k, p, mp, r, seed);
    } catch (IllegalArgumentException e) {
      throw new CommandLine.ParameterException(cl, e.getMessage());
    }
  }

  private static double pick(Double flag, Double config, double fallback) {
    return flag != null ? flag : config != null ? config : fallback;
  }

  /** Decodes after prompt with the resolved strategy, handing each token to sink (which may stop it). */
  Sequence generate(Loaded target, int[] prompt, TokenSink sink) {
    TextTarget text = target.text();
    text.checkPrompt(prompt.length);
    SteppedModel lm = new SteppedModel(text.model());
    int room = text.room(prompt.length, target.maxNewTokens());
    return target.sampling() == null ? Greedy.search(lm, prompt, room, text.eos(), sink)
        : Sample.generate(lm, prompt, room, text.eos(), target.sampling(), sink);
  }

  /** "greedy" or "sample temperature 0.7 top-k 20 ...", the weight format and where defaults came from. */
  String describe(Loaded target) {
    List<String> s = new ArrayList<>();
    Sampling p = target.sampling();
    s.add(p == null ? "greedy" : String.format(Locale.ROOT, "sample temperature %s top-k %d top-p %s min-p %s"
        + " repetition-penalty %s seed %d", p.temperature(), p.topK(), p.topP(), p.minP(), p.repetitionPenalty(), p.seed()));
    s.add("weights " + WeightFormats.parse(weights.value).label());
    lmlab.nn.attention.KvFormat kv = lmlab.nn.attention.KvFormat.parse(kvCache.value);
    if (kv != lmlab.nn.attention.KvFormat.F32) s.add("KV cache " + kv.label());
    if (target.generationConfig() != GenerationConfig.NONE) s.add("defaults from " + GenerationConfig.FILE);
    return String.join(", ", s);
  }

  /** The chat template of the tokenizer (or --chat-format); a one-line error when there is none. */
  static ChatTemplate template(CommandLine cl, Loaded target, String chatFormat) {
    Optional<ChatTemplate.Format> override;
    try {
      override = chatFormat == null ? Optional.empty() : Optional.of(ChatTemplate.Format.named(chatFormat));
    } catch (IllegalArgumentException e) {
      throw new CommandLine.ParameterException(cl, "--chat-format: " + e.getMessage());
    }
    try {
      return ChatTemplate.forTokenizer(target.tokenizer(), override);
    } catch (TokenizerException e) {
      throw new CommandLine.ExecutionException(cl, e.getMessage(), e);
    }
  }
}
