package lmlab.io;

import java.io.IOException;

/** A safetensors file that cannot be read or written; the message names the file and the problem. */
public class SafetensorsException extends IOException {
  public SafetensorsException(String message) {
    super(message);
  }

  public SafetensorsException(String message, Throwable cause) {
    super(message, cause);
  }
}
