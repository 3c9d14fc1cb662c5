package lmlab.prompting;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * The outcome of one request to an endpoint, after retries.
 *
 * @param status ok, http_error, timeout, connection_failed, invalid_reply or skipped
 * @param httpStatus the last HTTP status, 0 when none
 * @param body the parsed JSON reply (ok only), else null
 * @param error one line saying what went wrong, null when ok
 * @param latencyMs wall time of the last attempt
 * @param attempts how many times it was sent
 */
public record Exchange(String status, int httpStatus, JsonNode body, String error, double latencyMs, int attempts) {
  public boolean ok() {
    return status.equals("ok");
  }

  public boolean connectionFailure() {
    return status.equals("connection_failed");
  }

  public static Exchange skipped() {
    return new Exchange("skipped", 0, null, "skipped: endpoint unreachable", 0, 0);
  }
}
