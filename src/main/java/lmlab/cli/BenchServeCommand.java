package lmlab.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import lmlab.decode.Eos;
import lmlab.kernels.Parallel;
import lmlab.models.LanguageModel;
import lmlab.models.Models;
import lmlab.nn.WeightFormats;
import lmlab.serve.LmlabServer;
import lmlab.serve.ModelGenerator;
import lmlab.serve.ServeConfig;
import lmlab.serve.StepTimes;
import lmlab.tokenize.CharTokenizer;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code lmlab bench serve}: what continuous batching buys (issue 19 acceptance 2). A real
 * {@code lmlab serve} on 127.0.0.1 with P slots; P streams of T tokens (seeds s .. s + P - 1) one
 * after another, then the same P concurrently, each timed over HTTP from its request to its last
 * event (its [DONE]), all read by one client thread ({@link SseClient}, whose connections are kept
 * alive from the warm-up on); aggregate tokens/s of the P concurrent streams against one stream's,
 * and whether the concurrent outputs equal the sequential ones.
 */
@Command(
    name = "serve",
    mixinStandardHelpOptions = true,
    description = {
      "Measure continuous batching through a real lmlab serve on 127.0.0.1: --parallel P streamed requests "
          + "of --tokens T one after another (one stream's speed), then the same P concurrently (seeds "
          + "--seed .. --seed+P-1, temperature 1, no end-of-sequence: every stream takes T tokens).",
      "Median of --reps runs each, alternating, after a warm-up until the speed settles and the JIT is quiet.",
      "Default model: the chargpt preset (random weights, context 256) over a 65-character vocabulary.",
      "One JSON line:",
      "  {\"bench\":\"serve\",\"model\":..,\"weights\":..,\"kv_cache\":..,\"parallel\":P,",
      "   \"tokens\":T,",
      "   \"single_seconds\":..,\"single_tokens_per_s\":..,\"batch_seconds\":..,",
      "   \"aggregate_tokens_per_s\":..,",
      "   \"ratio\":..,\"run_ratios\":[..],\"equal_to_sequential\":true|false,",
      "   \"single_step_us\":{..},\"batch_step_us\":{..},\"threads\":..}",
      "equal_to_sequential: every run's concurrent texts equal its sequential ones.",
      "*_cpu_us_per_token: the process's CPU time (server and client, every thread) per generated token.",
      "*_step_us: the server's decoding thread per step in the timed runs (microseconds): join (prompts of "
          + "joining requests), step (the batched model step), sample, hand (tokens to the requests' sinks: "
          + "text, event, write; for steps of two rows or more the wait, after the step, for the pool's worker "
          + "handing them while it ran), other, wait (no request); with steps, rows_per_step, joins, busy_share "
          + "(busy time / wall time) and hand_aside (the worker's time handing tokens while steps ran, not "
          + "the decoding thread's).",
      "single_seconds: one stream's time, from its request to its [DONE], the mean of the P sequential "
          + "streams; batch_seconds: from the P concurrent requests (sent back to back by one thread) to the "
          + "last [DONE]; batch_setup_seconds: making the P requests, before that. One client thread reads "
          + "every stream, as load generators do (wrk, oha): a thread per stream woke once per token, on "
          + "the cores the server decodes on.",
      "ratio: the median over the runs of P x single_seconds / batch_seconds of the same run (each "
          + "concurrent window against the sequential one just before it); run_ratios: each run's, in the "
          + "order run.",
      ""
    })
public final class BenchServeCommand implements Runnable {
  private static final ObjectMapper JSON = new ObjectMapper();
  /** 65 characters, chargpt's vocabulary size. */
  static final String CHARS = "\n !$&',-.3:;?ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Option(names = "--model", paramLabel = "DIR", description = "A checkpoint or run directory with a tokenizer (default: random chargpt).")
  Path model;

  @Option(names = "--parallel", defaultValue = "8", paramLabel = "P", description = "Slots and concurrent streams. Default: ${DEFAULT-VALUE}")
  int parallel;

  @Option(names = "--tokens", defaultValue = "128", paramLabel = "T", description = "Tokens per stream. Default: ${DEFAULT-VALUE}")
  int tokens;

  @Option(names = "--reps", defaultValue = "5", paramLabel = "N", description = "Timed runs of each (median). Default: ${DEFAULT-VALUE}")
  int reps;

  @Option(names = "--warmup", paramLabel = "N", defaultValue = "2",
      description = "Least untimed rounds first, one stream then P (more until the speed settles; 0 skips). Default: ${DEFAULT-VALUE}")
  int warmup;

  @Option(names = "--seed", defaultValue = "0", description = "First request seed. Default: ${DEFAULT-VALUE}")
  long seed;

  @CommandLine.Mixin WeightsOption weights;

  @CommandLine.Mixin KvCacheOption kvCache;

  @Option(names = "--prompt", defaultValue = "ROMEO:", description = "The prompt of every request. Default: ${DEFAULT-VALUE}")
  String prompt;

  @Override
  public void run() {
    CommandLine cl = spec.commandLine();
    Flags.atLeast(cl, "--parallel", parallel, 1);
    if (parallel > 16) throw new CommandLine.ParameterException(cl, "--parallel must be at most 16, got " + parallel);
    Flags.atLeast(cl, "--tokens", tokens, 1);
    Flags.atLeast(cl, "--reps", reps, 1);
    Flags.atLeast(cl, "--warmup", warmup, 0);
    kvCache.format(cl); // a bad name fails before the model is made
    WeightFormats format = weights.format(cl);
    ModelGenerator g;
    lmlab.nn.attention.KvFormat kv;
    String name;
    try {
      if (model != null) {
        g = ModelGenerator.load(model, null, "none", parallel, format);
      } else {
        CharTokenizer tok = CharTokenizer.fromText(CHARS);
        LanguageModel m = Models.fromPreset("chargpt", Map.of("max_position_embeddings", "256", "dropout", "0.0",
            "vocab_size", String.valueOf(tok.vocabSize())), 1);
        m.eval();
        if (format == WeightFormats.BF16) WeightFormats.toBf16(m);
        g = new ModelGenerator("chargpt", m, tok, Eos.NONE, null, "no chat", 256, parallel);
      }
      name = g.name();
      kv = kvCache.applyTo(cl, g.model());
    } catch (CommandLine.ParameterException e) {
      throw e;
    } catch (Exception e) {
      throw new CommandLine.ExecutionException(cl, (model != null ? "--model " : "") + e.getMessage(), e);
    }
    try (g; LmlabServer server = new LmlabServer(g, ServeConfig.defaults().withSlots(parallel, 2 * parallel).withPort(0)).start();
        SseClient client = new SseClient()) {
      URI url = URI.create(server.baseUrl() + "/v1/completions");
      // warm-up until the speed settles (BenchSupport.warmUp) and the JIT is quiet: two fixed rounds
      // left the timed runs sharing the two cores with C2 still compiling the batched step's kernels
      Runnable round = () -> {
        try {
          timedStream(client, url, name, seed);
          concurrent(client, url, name, g);
        } catch (Exception e) {
          throw new IllegalStateException("bench serve warm-up: " + e.getMessage(), e);
        }
      };
      BenchSupport.warmUp(warmup, round);
      // one stream's speed: the same P requests one after another (seeds s .. s + P - 1), so each
      // timed window is P streams long (one stream of T tokens lasts only a few scheduler time
      // slices on a shared machine, and its reading moved with them) and its texts are the
      // sequential side of equal_to_sequential
      double[] single = new double[reps];
      double[] batch = new double[reps];
      double[] setup = new double[reps];
      boolean equal = true;
      StepTimes singleTimes = StepTimes.ZERO, batchTimes = StepTimes.ZERO;
      long singleCpu = 0, batchCpu = 0;
      ProcessCpuClock.nanos(); // its first call links clock_gettime: not inside a timed window
      for (int r = 0; r < reps; r++) {
        // each window's decoding-thread times are read next to its wall-clock ends
        long c0 = ProcessCpuClock.nanos();
        StepTimes before = g.stepTimes();
        List<String> sequential = new ArrayList<>();
        long streaming = 0;
        for (int i = 0; i < parallel; i++) {
          Timed one = timedStream(client, url, name, seed + i);
          streaming += one.nanos();
          sequential.add(one.text());
        }
        single[r] = streaming / 1e9 / parallel;
        StepTimes mid = g.stepTimes();
        long c1 = ProcessCpuClock.nanos();
        // the window of the P streams runs from their requests to the last one's [DONE]; making the
        // requests comes before it
        long t0 = System.nanoTime();
        Concurrent together = concurrent(client, url, name, g);
        batch[r] = (together.doneNs() - together.sentNs()) / 1e9;
        setup[r] = (together.sentNs() - t0) / 1e9;
        StepTimes after = g.stepTimes();
        long c2 = ProcessCpuClock.nanos();
        singleCpu += c1 - c0;
        batchCpu += c2 - together.sentCpuNs();
        singleTimes = singleTimes.plus(mid.minus(before));
        batchTimes = batchTimes.plus(after.minus(together.sentTimes()));
        equal &= sequential.equals(together.texts());
      }
      double s = BenchSupport.median(single);
      double b = BenchSupport.median(batch);
      ObjectNode out = JSON.createObjectNode();
      out.put("bench", "serve").put("model", name).put("weights", format.label()).put("kv_cache", kv.label()).put("parallel", parallel)
          .put("tokens", tokens);
      out.put("single_seconds", s).put("single_tokens_per_s", tokens / s);
      out.put("batch_seconds", b).put("aggregate_tokens_per_s", (double) parallel * tokens / b);
      out.put("batch_setup_seconds", BenchSupport.median(setup));
      // each run's concurrent window against the sequential one just before it (the median over the
      // runs of these paired ratios): a slow stretch of a shared machine then moves both sides of one ratio
      double[] perStream = new double[reps];
      for (int r = 0; r < reps; r++) perStream[r] = batch[r] / parallel;
      double[] runRatios = BenchSupport.pairedRatios(single, perStream);
      out.put("ratio", BenchSupport.median(runRatios));
      ArrayNode runs = out.putArray("run_ratios"); // how far one shared machine moves the ratio within the command
      for (double r : runRatios) runs.add(Math.round(1000 * r) / 1000.0);
      out.put("equal_to_sequential", equal);
      // the process's CPU time per generated token (server and client): less noisy than wall time
      // on a shared machine, and what the two cores' share of each token is
      out.put("single_cpu_us_per_token", Math.round(10.0 * singleCpu / 1e3 / (reps * (double) parallel * tokens)) / 10.0);
      out.put("batch_cpu_us_per_token", Math.round(10.0 * batchCpu / 1e3 / (reps * (double) parallel * tokens)) / 10.0);
      out.set("single_step_us", breakdown(singleTimes, parallel * sum(single)));
      out.set("batch_step_us", breakdown(batchTimes, sum(batch)));
      out.put("threads", Parallel.threads());
      cl.getOut().println(out);
      cl.getOut().flush();
    } catch (CommandLine.ExecutionException e) {
      throw e;
    } catch (Exception e) {
      throw new CommandLine.ExecutionException(cl, "bench serve: " + e.getMessage(), e);
    }
  }

  private static double sum(double[] a) {
    double s = 0;
    for (double x : a) s += x;
    return s;
  }

  /**
   * The decoding thread's time per step (microseconds) in the timed runs of one kind: joining
   * requests, the batched step, sampling, handing tokens to the requests' sinks, the rest, and
   * waiting for requests; with the steps, rows per step, and the busy share of the wall time.
   */
  private static ObjectNode breakdown(StepTimes t, double wallSeconds) {
    ObjectNode o = JSON.createObjectNode();
    double n = Math.max(1, t.steps());
    o.put("steps", t.steps()).put("rows_per_step", Math.round(100.0 * t.rows() / n) / 100.0).put("joins", t.joins());
    o.put("join", us(t.joinNs(), n)).put("step", us(t.stepNs(), n)).put("sample", us(t.sampleNs(), n));
    o.put("hand", us(t.handNs(), n)).put("other", us(t.otherNs(), n)).put("wait", us(t.waitNs(), n));
    o.put("hand_aside", us(t.asideNs(), n));
    o.put("busy_share", Math.round(1000.0 * t.busyNs() / 1e9 / wallSeconds) / 1000.0);
    return o;
  }

  private static double us(long ns, double steps) {
    return Math.round(10.0 * ns / 1e3 / steps) / 10.0;
  }

  /**
   * The texts of P concurrent streams, when their requests were sent and when the last one ended
   * (System.nanoTime), the process's CPU clock and the decoding thread's times at the sending.
   */
  private record Concurrent(List<String> texts, long sentNs, long doneNs, long sentCpuNs, StepTimes sentTimes) {}

  /**
   * P streams that start together: one thread sends the P requests back to back (a few
   * microseconds apart) and the client's one thread reads them all ({@link SseClient}). Sending
   * from P reader threads let the first requests' decoding take both cores while the other
   * threads still waited to be scheduled to send theirs: on two cores the last request left its
   * client 5–7 ms after the first (a probe of 2026-12-06), so the window measured a ramp, not P
   * concurrent streams.
   */
  private Concurrent concurrent(SseClient client, URI url, String name, ModelGenerator g) throws Exception {
    List<byte[]> bodies = new ArrayList<>();
    for (int i = 0; i < parallel; i++) bodies.add(body(name, seed + i));
    List<CompletableFuture<SseClient.Streamed>> fs = new ArrayList<>();
    StepTimes times = g.stepTimes();
    long sentCpu = ProcessCpuClock.nanos();
    long sent = System.nanoTime();
    for (byte[] b : bodies) fs.add(client.stream(url, b));
    List<String> out = new ArrayList<>();
    long done = sent;
    for (CompletableFuture<SseClient.Streamed> f : fs) {
      SseClient.Streamed one = f.get();
      out.add(one.text());
      done = Math.max(done, one.doneNs());
    }
    return new Concurrent(out, sent, done, sentCpu, times);
  }

  /** One stream's text and how long it took, from its request to its [DONE] (nanoseconds). */
  private record Timed(String text, long nanos) {}

  /** One streamed request of T tokens with seed s, timed. */
  private Timed timedStream(SseClient client, URI url, String name, long s) throws Exception {
    byte[] b = body(name, s);
    long sent = System.nanoTime();
    SseClient.Streamed one = client.stream(url, b).get();
    return new Timed(one.text(), one.doneNs() - sent);
  }

  /** The request body of a stream with seed s. */
  private byte[] body(String name, long s) {
    ObjectNode body = JSON.createObjectNode();
    body.put("model", name).put("prompt", prompt).put("max_tokens", tokens).put("temperature", 1).put("seed", s)
        .put("stream", true);
    return body.toString().getBytes(StandardCharsets.UTF_8);
  }
}
