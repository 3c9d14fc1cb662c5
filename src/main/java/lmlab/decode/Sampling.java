package lmlab.decode;

/**
 * How a token is drawn from a row of logits (decoding.md "Sampling", text.md; the order of Hugging
 * Face's logits processors): the optional repetition penalty on the raw logits (CTRL, Keskar et
 * al. 2019: a logit of a token already in the sequence is divided by the penalty when positive,
 * multiplied when negative), then temperature τ (logits / τ), then top-k (keep the logits ≥ the
 * k-th largest, as minGPT and Hugging Face do, so ties at the k-th stay), then top-p (keep the
 * smallest most-likely set whose probability reaches p, at least one token; Holtzman et al. 2020),
 * then min-p (keep p_j ≥ min_p · max p), then softmax and a draw from a generator seeded with
 * {@code seed}.
 *
 * <p>Off values: topK 0, topP 1, minP 0, repetitionPenalty 1. A draw is made by {@link #sampler()}
 * (one per sequence: it owns the generator), so the same seed gives the same tokens.
 *
 * @param temperature τ &gt; 0 (greedy decoding is its own strategy, {@link Greedy})
 * @param topK keep the k most likely (0: off)
 * @param topP nucleus mass in (0, 1] (1: off)
 * @param minP in [0, 1] (0: off)
 * @param repetitionPenalty &gt; 0 (1: off)
 * @param seed the generator's seed
 */
public record Sampling(double temperature, int topK, double topP, double minP, double repetitionPenalty, long seed) {
  /** minGPT's chargpt sampling: τ 1, top-k 10 (text.md), seed 3407. */
  public static final Sampling CHARGPT = new Sampling(1.0, 10, 1.0, 0.0, 1.0, 3407);

  public Sampling {
    if (!(temperature > 0) || Double.isInfinite(temperature)) {
      throw new IllegalArgumentException("sampling: temperature " + temperature
          + " must be a finite number > 0 (use the greedy strategy for argmax decoding)");
    }
    if (topK < 0) throw new IllegalArgumentException("sampling: top-k " + topK + " must be >= 0 (0 turns it off)");
    if (!(topP > 0 && topP <= 1)) {
      throw new IllegalArgumentException("sampling: top-p " + topP + " must be in (0, 1] (1 turns it off)");
    }
    if (!(minP >= 0 && minP <= 1)) {
      throw new IllegalArgumentException("sampling: min-p " + minP + " must be in [0, 1] (0 turns it off)");
    }
    if (!(repetitionPenalty > 0) || Double.isInfinite(repetitionPenalty)) {
      throw new IllegalArgumentException("sampling: repetition penalty " + repetitionPenalty
          + " must be a finite number > 0 (1 turns it off)");
    }
  }

  /** Plain ancestral sampling: τ 1 and every filter off. */
  public static Sampling plain(long seed) {
    return new Sampling(1.0, 0, 1.0, 0.0, 1.0, seed);
  }

  public Sampling withSeed(long newSeed) {
    return new Sampling(temperature, topK, topP, minP, repetitionPenalty, newSeed);
  }

  public Sampling withTemperature(double t) {
    return new Sampling(t, topK, topP, minP, repetitionPenalty, seed);
  }

  public Sampling withTopK(int k) {
    return new Sampling(temperature, k, topP, minP, repetitionPenalty, seed);
  }

  public Sampling withTopP(double p) {
    return new Sampling(temperature, topK, p, minP, repetitionPenalty, seed);
  }

  public Sampling withMinP(double p) {
    return new Sampling(temperature, topK, topP, p, repetitionPenalty, seed);
  }

  public Sampling withRepetitionPenalty(double penalty) {
    return new Sampling(temperature, topK, topP, minP, penalty, seed);
  }

  /** A sampler with its own generator seeded with {@link #seed()}. */
  public TokenSampler sampler() {
    return new TokenSampler(this, seed);
  }

  /** A sampler for sequence index of a batch: seeded with seed + index, so sequence 0 is the single-sequence draw. */
  public TokenSampler sampler(int index) {
    return new TokenSampler(this, seed + index);
  }
}
