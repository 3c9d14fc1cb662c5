package lmlab.cli;

import java.util.List;
import lmlab.decode.BeamSearch;
import lmlab.decode.Eos;
import lmlab.decode.ExhaustiveSearch;
import lmlab.decode.Greedy;
import lmlab.decode.NextTokenModel;
import lmlab.decode.Sample;
import lmlab.decode.Sampling;
import lmlab.decode.Sequence;
import lmlab.decode.Strategy;
import lmlab.decode.TokenSink;
import picocli.CommandLine;
import picocli.CommandLine.Option;

/**
 * The strategy flags shared by {@code lmlab generate} and {@code lmlab decode-tree} (a picocli
 * mixin): which strategy, its settings, validated with errors naming the flag and the value, and
 * the one call that runs it over any {@link NextTokenModel}.
 */
public final class DecodingOptions {
  @Option(names = "--strategy", paramLabel = "NAME", defaultValue = "greedy",
      description = "greedy, beam, sample or exhaustive. Default: ${DEFAULT-VALUE}")
  String strategy;

  @Option(names = "--beams", paramLabel = "B",
      description = "Beam search: the beam width B (default 4); exhaustive: how many of the best sequences to "
          + "print (default 1).")
  Integer beams;

  @Option(names = "--length-penalty", paramLabel = "ALPHA", defaultValue = "0",
      description = "Beam and exhaustive search: rank finished sequences by log-likelihood / length^ALPHA "
          + "(0: the log-likelihood). Default: ${DEFAULT-VALUE}")
  double lengthPenalty;

  @Option(names = "--max-sequences", paramLabel = "N", defaultValue = "1000000",
      description = "Exhaustive search: refuse when V^T is above N. Default: ${DEFAULT-VALUE}")
  long maxSequences;

  @Option(names = "--temperature", paramLabel = "TAU", defaultValue = "1.0",
      description = "Sampling: logits / TAU, TAU > 0. Default: ${DEFAULT-VALUE}")
  double temperature;

  @Option(names = "--top-k", paramLabel = "K", defaultValue = "0",
      description = "Sampling: keep the K most likely tokens (0: off). Default: ${DEFAULT-VALUE}")
  int topK;

  @Option(names = "--top-p", paramLabel = "P", defaultValue = "1.0",
      description = "Sampling: keep the smallest most-likely set of probability >= P, P in (0, 1] (1: off). "
          + "Default: ${DEFAULT-VALUE}")
  double topP;

  @Option(names = "--min-p", paramLabel = "P", defaultValue = "0.0",
      description = "Sampling: keep tokens of probability >= P times the largest (0: off). Default: ${DEFAULT-VALUE}")
  double minP;

  @Option(names = "--repetition-penalty", paramLabel = "R", defaultValue = "1.0",
      description = "Sampling: divide (multiply, when negative) the logits of tokens already in the sequence by R "
          + "(1: off). Default: ${DEFAULT-VALUE}")
  double repetitionPenalty;

  @Option(names = "--seed", paramLabel = "S", defaultValue = "3407",
      description = "Sampling: the generator's seed (sequence i of --samples uses S + i). Default: ${DEFAULT-VALUE}")
  long seed;

  @Option(names = "--samples", paramLabel = "N", defaultValue = "1",
      description = "Sampling: sequences to draw, advancing together. Default: ${DEFAULT-VALUE}")
  int samples;

  private static final List<String> SAMPLING_FLAGS = List.of("--temperature", "--top-k", "--top-p", "--min-p",
      "--repetition-penalty", "--seed", "--samples");

  /** The strategy, after checking every flag given against it. */
  Strategy validate(CommandLine cl) {
    Strategy s;
    try {
      s = Strategy.parse(strategy);
    } catch (IllegalArgumentException e) {
      throw new CommandLine.ParameterException(cl, "--strategy: " + e.getMessage());
    }
    var parsed = cl.getParseResult();
    if (s != Strategy.SAMPLE) {
      for (String flag : SAMPLING_FLAGS) {
        if (parsed.hasMatchedOption(flag)) {
          throw new CommandLine.ParameterException(cl, flag + " applies to --strategy sample, not " + s.label());
        }
      }
    }
    boolean searches = s == Strategy.BEAM || s == Strategy.EXHAUSTIVE;
    if (!searches) {
      for (String flag : List.of("--beams", "--length-penalty")) {
        if (parsed.hasMatchedOption(flag)) {
          throw new CommandLine.ParameterException(cl, flag + " applies to --strategy beam or exhaustive, not "
              + s.label() + (flag.equals("--beams") && s == Strategy.SAMPLE ? " (use --samples N)" : ""));
        }
      }
    }
    if (s != Strategy.EXHAUSTIVE && parsed.hasMatchedOption("--max-sequences")) {
      throw new CommandLine.ParameterException(cl, "--max-sequences applies to --strategy exhaustive, not " + s.label());
    }
    if (beams != null && beams < 1) throw new CommandLine.ParameterException(cl, "--beams must be >= 1, got " + beams);
    if (!Double.isFinite(lengthPenalty)) {
      throw new CommandLine.ParameterException(cl, "--length-penalty must be a finite number, got " + lengthPenalty);
    }
    Flags.atLeast(cl, "--max-sequences", maxSequences, 1);
    Flags.atLeast(cl, "--samples", samples, 1);
    if (s == Strategy.SAMPLE) sampling(cl);
    return s;
  }

  /** The sampling settings; a bad value is a usage error naming its flag and the value. */
  Sampling sampling(CommandLine cl) {
    if (!(temperature > 0) || Double.isInfinite(temperature)) {
      throw new CommandLine.ParameterException(cl, "--temperature must be a finite number > 0 with --strategy sample, got "
          + temperature);
    }
    Flags.atLeast(cl, "--top-k", topK, 0);
    if (!(topP > 0 && topP <= 1)) throw new CommandLine.ParameterException(cl, "--top-p must be in (0, 1], got " + topP);
    if (!(minP >= 0 && minP <= 1)) throw new CommandLine.ParameterException(cl, "--min-p must be in [0, 1], got " + minP);
    if (!(repetitionPenalty > 0) || Double.isInfinite(repetitionPenalty)) {
      throw new CommandLine.ParameterException(cl, "--repetition-penalty must be a finite number > 0, got "
          + repetitionPenalty);
    }
    return new Sampling(temperature, topK, topP, minP, repetitionPenalty, seed);
  }

  /** True when the strategy yields one sequence token by token (its text can be streamed). */
  boolean streams(Strategy s) {
    return s == Strategy.GREEDY || s == Strategy.SAMPLE && samples == 1;
  }

  /** Runs the strategy; sink sees the tokens of a streaming strategy as they come. */
  List<Sequence> run(CommandLine cl, Strategy s, NextTokenModel lm, int[] prompt, int maxNewTokens, Eos eos,
      TokenSink sink) {
    return switch (s) {
      case GREEDY -> List.of(Greedy.search(lm, prompt, maxNewTokens, eos, sink));
      case SAMPLE -> Sample.generate(lm, prompt, maxNewTokens, eos, sampling(cl), samples, sink);
      case BEAM -> BeamSearch.search(lm, prompt, maxNewTokens, eos, beams == null ? 4 : beams, lengthPenalty);
      case EXHAUSTIVE -> ExhaustiveSearch.search(lm, prompt, maxNewTokens, eos, beams == null ? 1 : beams,
          lengthPenalty, maxSequences);
    };
  }
}
