package lmlab.prompting;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.PrintWriter;
import java.util.List;

/**
 * One endpoint during a run: checked with {@code GET /models} before the first request, marked
 * down at once when that fails or after three consecutive connection failures, after which its
 * requests are recorded as skipped while the other endpoints go on (prompting.md, Failures).
 */
public final class EndpointSession {
  static final int DOWN_AFTER = 3;

  private final Endpoint endpoint;
  private final OpenAiClient client;
  private final PrintWriter log;
  private boolean down;
  private int consecutiveFailures;

  public EndpointSession(Endpoint endpoint, OpenAiClient client, PrintWriter log) {
    this.endpoint = endpoint;
    this.client = client;
    this.log = log;
  }

  public Endpoint endpoint() {
    return endpoint;
  }

  /** GET /models: reports an unreachable endpoint at once, warns about a model id it does not list. */
  public void check() {
    try {
      List<String> ids = client.models(endpoint);
      if (endpoint.model() != null && !ids.contains(endpoint.model()))
        log.println("lmlab: warning: endpoint " + endpoint.name() + " (" + endpoint.baseUrl() + ") does not list model '"
            + endpoint.model() + "' (it lists " + String.join(", ", ids) + "); sending it anyway");
    } catch (IOException e) {
      down = true;
      log.println("lmlab: endpoint " + endpoint.name() + " (" + endpoint.baseUrl() + "): " + e.getMessage()
          + "; its requests are skipped");
    }
  }

  public boolean down() {
    return down;
  }

  /** Sends one request unless the endpoint is down; tracks consecutive connection failures. */
  public Exchange send(String path, ObjectNode body) {
    if (down) return Exchange.skipped();
    Exchange x = client.post(endpoint, path, body);
    if (x.connectionFailure()) {
      if (++consecutiveFailures >= DOWN_AFTER) {
        down = true;
        log.println("lmlab: endpoint " + endpoint.name() + " (" + endpoint.baseUrl() + ") marked down after "
            + DOWN_AFTER + " consecutive connection failures; its remaining requests are skipped");
      }
    } else {
      consecutiveFailures = 0;
    }
    return x;
  }
}
