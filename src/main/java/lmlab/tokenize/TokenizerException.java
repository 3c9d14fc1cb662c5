package lmlab.tokenize;

/**
 * A tokenizer file that cannot be read, or text or ids a tokenizer cannot handle. The message is
 * one line that names the file or the input and what was expected.
 */
public class TokenizerException extends RuntimeException {
  public TokenizerException(String message) {
    super(message);
  }

  public TokenizerException(String message, Throwable cause) {
    super(message, cause);
  }
}
