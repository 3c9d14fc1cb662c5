package lmlab.prompting;

import java.net.URI;
import java.net.URISyntaxException;

/**
 * An OpenAI-compatible endpoint: a short name for reports, the base URL (ending in {@code /v1},
 * as every OpenAI client takes it), the model id to request, and the name of the environment
 * variable holding its API key (never the key itself: keys are not written or logged).
 */
public record Endpoint(String name, URI baseUrl, String model, String apiKeyEnv) {

  /** Parses a base URL, naming the endpoint in the error: {@code http(s)://host[:port][/path]}. */
  public static URI parseUrl(String name, String url) {
    URI u;
    try {
      u = new URI(url.strip());
    } catch (URISyntaxException e) {
      throw new IllegalArgumentException("endpoint " + name + ": '" + url + "' is not a URL (expected http://host:port/v1)");
    }
    if (u.getScheme() == null || !(u.getScheme().equals("http") || u.getScheme().equals("https")) || u.getHost() == null
        || u.getRawQuery() != null || u.getRawFragment() != null)
      throw new IllegalArgumentException("endpoint " + name + ": '" + url + "' is not an http(s) URL (expected http://host:port/v1)");
    String s = u.toString();
    while (s.endsWith("/")) s = s.substring(0, s.length() - 1);
    return URI.create(s);
  }

  /** The API key from the environment, or null when no variable is named. */
  public String apiKey() {
    if (apiKeyEnv == null) return null;
    String key = System.getenv(apiKeyEnv);
    if (key == null || key.isBlank())
      throw new IllegalArgumentException("endpoint " + name + ": environment variable " + apiKeyEnv + " (--api-key-env) is not set");
    return key;
  }

  public URI resolve(String path) {
    return URI.create(baseUrl + path);
  }
}
