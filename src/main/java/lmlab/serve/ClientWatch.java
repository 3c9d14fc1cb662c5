package lmlab.serve;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.concurrent.atomic.AtomicBoolean;
import org.eclipse.jetty.io.AbstractEndPoint;
import org.eclipse.jetty.io.EndPoint;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.util.BufferUtil;
import org.eclipse.jetty.util.Callback;

/**
 * Notices a client that closes its connection while its request waits in the queue or is being
 * generated without anything written yet (serving.md, Cancellation: "a closed socket noticed
 * between decoding steps"). Once the body has been read, Jetty reads nothing more from an
 * HTTP/1.1 connection until the response is complete, so a close would only show at the first
 * write. The watch asks the connection's end point to call back when the socket becomes readable:
 * for a client that sends nothing more, that is end-of-stream (read −1), and {@code gone} is set.
 * A client that pipelines its next request before this response is the rare other case: the byte
 * read is not Jetty's any more, so the response closes the connection ({@link #pipelined()}), and
 * the client retries the unanswered request (RFC 9112, 9.3.2).
 *
 * <p>{@link #close()} must run before the response is written: it withdraws the read interest so
 * that Jetty's own reading of the next request finds none registered.
 */
final class ClientWatch implements AutoCloseable {
  private static final Exception STOPPED = new Exception("watch stopped", null, false, false) {};

  private final AbstractEndPoint endPoint;
  private final AtomicBoolean gone;
  private final ByteBuffer probe = BufferUtil.allocate(1);
  private final Callback readable = new Callback() {
    @Override
    public void succeeded() {
      onReadable();
    }

    @Override
    public void failed(Throwable x) {
      synchronized (ClientWatch.this) {
        registered = false;
      }
    }
  };
  private boolean registered;
  private boolean closed;
  private boolean pipelined;

  private ClientWatch(AbstractEndPoint endPoint, AtomicBoolean gone) {
    this.endPoint = endPoint;
    this.gone = gone;
  }

  /** Starts watching the request's connection (call once its body has been read); sets {@code gone} when the client closes it. */
  static ClientWatch start(Request request, AtomicBoolean gone) {
    EndPoint ep = request.getConnectionMetaData().getConnection().getEndPoint();
    ClientWatch w = new ClientWatch(ep instanceof AbstractEndPoint a ? a : null, gone);
    w.watch();
    return w;
  }

  private synchronized void watch() {
    if (endPoint == null || closed) return;
    registered = true; // before registering: a failure may call back at once
    if (!endPoint.tryFillInterested(readable)) registered = false;
  }

  private void onReadable() {
    synchronized (this) {
      registered = false;
      if (closed) return;
      try {
        int n = endPoint.fill(probe);
        if (n < 0) {
          gone.set(true);
        } else if (n > 0) {
          pipelined = true;
        } else {
          registered = true;
          if (!endPoint.tryFillInterested(readable)) registered = false;
        }
      } catch (IOException e) {
        gone.set(true);
      }
    }
  }

  /** The client sent more bytes after this request (pipelining): the response must close the connection. */
  synchronized boolean pipelined() {
    return pipelined;
  }

  /** Stops watching; the read interest is withdrawn (it is this watch's: Jetty registers none while a request is handled). */
  @Override
  public synchronized void close() {
    if (closed) return;
    closed = true;
    if (registered) {
      registered = false;
      endPoint.getFillInterest().onFail(STOPPED);
    }
  }
}
