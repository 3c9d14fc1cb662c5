package lmlab.decode;

/** Receives the tokens of a single-sequence strategy as they are chosen (streaming output). */
@FunctionalInterface
public interface TokenSink {
  /** A token and its log-probability; returns false to stop generation after it. */
  boolean accept(int token, float logProb);

  TokenSink NONE = (token, logProb) -> true;
}
