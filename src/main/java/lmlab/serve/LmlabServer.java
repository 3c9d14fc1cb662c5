package lmlab.serve;

import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.thread.QueuedThreadPool;

/**
 * {@code lmlab serve}'s HTTP server: Jetty 12 (core API) with handlers on virtual threads, so a
 * request waiting for a slot or streaming tokens holds no platform thread. Start, read the bound
 * port (port 0 picks a free one), drain and stop.
 */
public final class LmlabServer implements AutoCloseable {
  private final Server server;
  private final ServerConnector connector;
  private final ApiHandler handler;
  private final ServeConfig config;

  public LmlabServer(Generator model, ServeConfig config) {
    this.config = config;
    QueuedThreadPool pool = new QueuedThreadPool();
    pool.setName("lmlab-serve");
    pool.setVirtualThreadsExecutor(java.util.concurrent.Executors.newVirtualThreadPerTaskExecutor());
    server = new Server(pool);
    HttpConfiguration http = new HttpConfiguration();
    http.setSendServerVersion(false);
    connector = new ServerConnector(server, 1, 1, new HttpConnectionFactory(http));
    connector.setHost(config.host());
    connector.setPort(config.port());
    // the handler enforces the read and request timeouts itself; the connection's idle timeout
    // only has to outlast them
    connector.setIdleTimeout(Math.max(config.requestTimeoutMillis(), config.readTimeoutMillis()) + 30_000);
    server.addConnector(connector);
    handler = new ApiHandler(model, config);
    server.setHandler(handler);
    server.setStopTimeout(config.drainTimeoutMillis());
  }

  public LmlabServer start() throws Exception {
    server.start();
    return this;
  }

  public int port() {
    return connector.getLocalPort();
  }

  public String baseUrl() {
    return "http://" + config.host() + ":" + port();
  }

  /** Slots in use and requests waiting, as /health reports them. */
  public int slotsBusy() {
    return handler.slots().busy();
  }

  public int queued() {
    return handler.slots().queued();
  }

  /** Refuse new requests (503 not_ready), let running ones finish, then stop. */
  @Override
  public void close() throws Exception {
    handler.drain();
    long deadline = System.nanoTime() + config.drainTimeoutMillis() * 1_000_000L;
    while (handler.slots().busy() > 0 && System.nanoTime() < deadline) Thread.sleep(20);
    server.stop();
  }
}
