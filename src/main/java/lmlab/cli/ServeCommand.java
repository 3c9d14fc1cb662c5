package lmlab.cli;

import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;
import lmlab.serve.LmlabServer;
import lmlab.serve.ModelGenerator;
import lmlab.serve.ServeConfig;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import lmlab.nn.WeightFormats;
import lmlab.nn.attention.KvFormat;
import picocli.CommandLine.Option;

/**
 * {@code lmlab serve}: the OpenAI-compatible HTTP server of serving.md over a checkpoint, with
 * --parallel slots decoding together in batched steps. SIGINT/SIGTERM drain (new requests get 503
 * not_ready, running ones finish for up to --drain-timeout) and exit 0.
 */
@Command(
    name = "serve",
    mixinStandardHelpOptions = true,
    description = {
      "Serve a checkpoint over an OpenAI-compatible HTTP API (serving.md): /v1/models, /v1/completions, "
          + "/v1/chat/completions (SSE streaming, stop strings, seeds, logprobs, response_format "
          + "json_object/json_schema by constrained decoding), /health.",
      "--parallel requests decode together.",
      ""
    })
public final class ServeCommand implements Runnable {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Option(names = "--model", required = true, paramLabel = "DIR",
      description = "Checkpoint directory with a tokenizer, or a run directory (checkpoints/best, else latest).")
  Path model;

  @Option(names = "--served-model-name", paramLabel = "NAME", description = "The model id clients send (default: the directory's name).")
  String servedName;

  @Option(names = "--host", defaultValue = "127.0.0.1", description = "Address to bind. Default: ${DEFAULT-VALUE}")
  String host;

  @Option(names = "--port", defaultValue = "8080", description = "Port (0: a free one, printed). Default: ${DEFAULT-VALUE}")
  int port;

  @Option(names = "--parallel", defaultValue = "1", paramLabel = "P",
      description = "Requests decoding at once, in shared batched steps (1 to 16). Default: ${DEFAULT-VALUE}")
  int parallel;

  @Option(names = "--queue", defaultValue = "16", paramLabel = "Q",
      description = "Requests that may wait for a slot; more get 503 with Retry-After. Default: ${DEFAULT-VALUE}")
  int queue;

  @Option(names = "--request-timeout", defaultValue = "600", paramLabel = "S",
      description = "Seconds a request may take, queueing included (then 504). Default: ${DEFAULT-VALUE}")
  double requestTimeout;

  @Option(names = "--read-timeout", defaultValue = "30", paramLabel = "S",
      description = "Seconds to receive a request body (then 408). Default: ${DEFAULT-VALUE}")
  double readTimeout;

  @Option(names = "--max-body-bytes", defaultValue = "4194304", paramLabel = "N",
      description = "Largest request body (then 413). Default: ${DEFAULT-VALUE}")
  long maxBodyBytes;

  @Option(names = "--default-max-tokens", paramLabel = "N",
      description = "Generation limit when a request gives none (default: up to the context).")
  Integer defaultMaxTokens;

  @Option(names = "--api-key", paramLabel = "KEY", description = "Require 'Authorization: Bearer KEY' on /v1 requests.")
  String apiKey;

  @Option(names = "--drain-timeout", defaultValue = "30", paramLabel = "S",
      description = "On SIGTERM, seconds running requests may still take. Default: ${DEFAULT-VALUE}")
  double drainTimeout;

  @CommandLine.Mixin WeightsOption weights;

  @CommandLine.Mixin KvCacheOption kvCache;

  @Option(names = "--chat-format", paramLabel = "FORMAT",
      description = "chatml, qwen2.5, qwen3 or none instead of the tokenizer's chat template (a model without one serves"
          + " completions only).")
  String chatFormat;

  @Override
  public void run() {
    CommandLine cl = spec.commandLine();
    Flags.atLeast(cl, "--parallel", parallel, 1);
    if (parallel > 16) throw new CommandLine.ParameterException(cl, "--parallel must be at most 16, got " + parallel);
    Flags.atLeast(cl, "--queue", queue, 0);
    if (port < 0 || port > 65535) throw new CommandLine.ParameterException(cl, "--port must be in [0, 65535], got " + port);
    positive(cl, "--request-timeout", requestTimeout);
    positive(cl, "--read-timeout", readTimeout);
    positive(cl, "--drain-timeout", drainTimeout);
    Flags.atLeast(cl, "--max-body-bytes", maxBodyBytes, 1);
    if (defaultMaxTokens != null) Flags.atLeast(cl, "--default-max-tokens", defaultMaxTokens, 1);
    kvCache.format(cl); // a bad name fails before the model loads
    WeightFormats format = weights.format(cl);
    ModelGenerator generator;
    KvFormat kv;
    try {
      generator = ModelGenerator.load(model, servedName, chatFormat, parallel, format);
    } catch (IOException | RuntimeException e) {
      throw new CommandLine.ExecutionException(cl, "--model " + e.getMessage(), e);
    }
    try {
      kv = kvCache.applyTo(cl, generator.model());
    } catch (RuntimeException e) {
      generator.close();
      throw e;
    }
    ServeConfig config = new ServeConfig(host, port, parallel, queue, millis(requestTimeout), millis(readTimeout),
        maxBodyBytes, defaultMaxTokens, apiKey, millis(drainTimeout));
    LmlabServer server = new LmlabServer(generator, config);
    try {
      server.start();
    } catch (Exception e) {
      generator.close();
      throw new CommandLine.ExecutionException(cl, "cannot listen on " + host + ":" + port + ": " + e.getMessage(), e);
    }
    CountDownLatch stopped = new CountDownLatch(1);
    Signals.install(sig -> Thread.ofPlatform().start(() -> {
      System.err.println("lmlab serve: " + sig + ": draining");
      try {
        server.close();
      } catch (Exception e) {
        System.err.println("lmlab serve: stopping failed: " + e.getMessage());
      }
      generator.close();
      stopped.countDown();
    }));
    System.err.println("lmlab serve: " + generator.name() + " (" + generator.model().getClass().getSimpleName() + ", "
        + generator.tokenizer().describe() + ", context " + generator.maxModelLen() + ") on " + server.baseUrl()
        + "/v1, " + parallel + " slot(s), queue " + queue + (format == WeightFormats.F32 ? "" : ", weights " + format.label())
        + (kv == KvFormat.F32 ? "" : ", KV cache " + kv.label()));
    cl.getOut().println(server.baseUrl() + "/v1");
    cl.getOut().flush();
    try {
      stopped.await();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static void positive(CommandLine cl, String flag, double seconds) {
    if (!(seconds > 0 && seconds <= 86_400)) {
      throw new CommandLine.ParameterException(cl, flag + " must be a number of seconds in (0, 86400], got " + seconds);
    }
  }

  private static long millis(double seconds) {
    return Math.round(seconds * 1000);
  }
}
