package lmlab.serve;

/**
 * The server's settings (serving.md): address, slots and queue, limits and timeouts, and the
 * optional API key every /v1 request must present.
 */
public record ServeConfig(
    String host,
    int port,
    int parallel,
    int queue,
    long requestTimeoutMillis,
    long readTimeoutMillis,
    long maxBodyBytes,
    Integer defaultMaxTokens,
    String apiKey,
    long drainTimeoutMillis) {
  public static final String VERSION = "0.1.0";

  public static ServeConfig defaults() {
    return new ServeConfig("127.0.0.1", 8080, 1, 16, 600_000, 30_000, 4L << 20, null, null, 30_000);
  }

  public ServeConfig withPort(int p) {
    return new ServeConfig(host, p, parallel, queue, requestTimeoutMillis, readTimeoutMillis, maxBodyBytes, defaultMaxTokens, apiKey, drainTimeoutMillis);
  }

  public ServeConfig withSlots(int p, int q) {
    return new ServeConfig(host, port, p, q, requestTimeoutMillis, readTimeoutMillis, maxBodyBytes, defaultMaxTokens, apiKey, drainTimeoutMillis);
  }

  public ServeConfig withTimeouts(long requestMillis, long readMillis) {
    return new ServeConfig(host, port, parallel, queue, requestMillis, readMillis, maxBodyBytes, defaultMaxTokens, apiKey, drainTimeoutMillis);
  }

  public ServeConfig withApiKey(String key) {
    return new ServeConfig(host, port, parallel, queue, requestTimeoutMillis, readTimeoutMillis, maxBodyBytes, defaultMaxTokens, key, drainTimeoutMillis);
  }
}
