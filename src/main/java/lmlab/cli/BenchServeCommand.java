package lmlab.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import lmlab.decode.Eos;
import lmlab.kernels.Parallel;
import lmlab.models.LanguageModel;
import lmlab.models.Models;
import lmlab.serve.LmlabServer;
import lmlab.serve.ModelGenerator;
import lmlab.serve.ServeConfig;
import lmlab.tokenize.CharTokenizer;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code lmlab bench serve}: what continuous batching buys (issue 19 acceptance 2). A real
 * {@code lmlab serve} on 127.0.0.1 with P slots; one stream of T tokens, then P concurrent streams
 * of T tokens (seeds s .. s + P - 1), timed end to end over HTTP; aggregate tokens/s of the P
 * streams against one stream's, and whether the concurrent outputs equal the same requests sent
 * one after another.
 */
@Command(
    name = "serve",
    mixinStandardHelpOptions = true,
    description = {
      "Measure continuous batching through a real lmlab serve on 127.0.0.1: one streamed request of",
      "--tokens T, then --parallel P concurrent streams of T (seeds --seed .. --seed+P-1, temperature 1,",
      "no end-of-sequence: every stream takes T tokens). Median of --reps runs each, after a warm-up.",
      "Default model: the chargpt preset (random weights, context 256) over a 65-character vocabulary.",
      "One JSON line: {\"bench\":\"serve\",\"model\":..,\"parallel\":P,\"tokens\":T,\"single_seconds\":..,",
      " \"single_tokens_per_s\":..,\"batch_seconds\":..,\"aggregate_tokens_per_s\":..,\"ratio\":..,",
      " \"equal_to_sequential\":true|false,\"threads\":..}",
      "ratio = aggregate_tokens_per_s / single_tokens_per_s."
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

  @Option(names = "--reps", defaultValue = "3", paramLabel = "N", description = "Timed runs of each (median). Default: ${DEFAULT-VALUE}")
  int reps;

  @Option(names = "--seed", defaultValue = "0", description = "First request seed. Default: ${DEFAULT-VALUE}")
  long seed;

  @Option(names = "--prompt", defaultValue = "ROMEO:", description = "The prompt of every request. Default: ${DEFAULT-VALUE}")
  String prompt;

  @Override
  public void run() {
    CommandLine cl = spec.commandLine();
    Flags.atLeast(cl, "--parallel", parallel, 1);
    if (parallel > 16) throw new CommandLine.ParameterException(cl, "--parallel must be at most 16, got " + parallel);
    Flags.atLeast(cl, "--tokens", tokens, 1);
    Flags.atLeast(cl, "--reps", reps, 1);
    ModelGenerator g;
    String name;
    try {
      if (model != null) {
        g = ModelGenerator.load(model, null, "none", parallel);
      } else {
        CharTokenizer tok = CharTokenizer.fromText(CHARS);
        LanguageModel m = Models.fromPreset("chargpt", Map.of("max_position_embeddings", "256", "dropout", "0.0",
            "vocab_size", String.valueOf(tok.vocabSize())), 1);
        m.eval();
        g = new ModelGenerator("chargpt", m, tok, Eos.NONE, null, "no chat", 256, parallel);
      }
      name = g.name();
    } catch (Exception e) {
      throw new CommandLine.ExecutionException(cl, (model != null ? "--model " : "") + e.getMessage(), e);
    }
    try (g; LmlabServer server = new LmlabServer(g, ServeConfig.defaults().withSlots(parallel, 2 * parallel).withPort(0)).start()) {
      HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
      String url = server.baseUrl() + "/v1/completions";
      // warm-up: the JIT compiles the one-row and the batched paths
      for (int w = 0; w < 2; w++) {
        stream(http, url, name, seed);
        concurrent(http, url, name);
      }
      double[] single = new double[reps];
      double[] batch = new double[reps];
      List<String> together = null;
      for (int r = 0; r < reps; r++) {
        long t0 = System.nanoTime();
        stream(http, url, name, seed);
        single[r] = (System.nanoTime() - t0) / 1e9;
        t0 = System.nanoTime();
        together = concurrent(http, url, name);
        batch[r] = (System.nanoTime() - t0) / 1e9;
      }
      List<String> sequential = new ArrayList<>();
      for (int i = 0; i < parallel; i++) sequential.add(stream(http, url, name, seed + i));
      double s = median(single);
      double b = median(batch);
      ObjectNode out = JSON.createObjectNode();
      out.put("bench", "serve").put("model", name).put("parallel", parallel).put("tokens", tokens);
      out.put("single_seconds", s).put("single_tokens_per_s", tokens / s);
      out.put("batch_seconds", b).put("aggregate_tokens_per_s", (double) parallel * tokens / b);
      out.put("ratio", parallel * s / b);
      out.put("equal_to_sequential", sequential.equals(together));
      out.put("threads", Parallel.threads());
      cl.getOut().println(out);
      cl.getOut().flush();
    } catch (CommandLine.ExecutionException e) {
      throw e;
    } catch (Exception e) {
      throw new CommandLine.ExecutionException(cl, "bench serve: " + e.getMessage(), e);
    }
  }

  private static double median(double[] a) {
    double[] s = a.clone();
    Arrays.sort(s);
    return s[s.length / 2];
  }

  private List<String> concurrent(HttpClient http, String url, String name) throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(parallel);
    try {
      List<Future<String>> fs = new ArrayList<>();
      for (int i = 0; i < parallel; i++) {
        long s = seed + i;
        fs.add(pool.submit(() -> stream(http, url, name, s)));
      }
      List<String> out = new ArrayList<>();
      for (Future<String> f : fs) out.add(f.get());
      return out;
    } finally {
      pool.shutdownNow();
    }
  }

  /** One streamed request of T tokens; its text (the deltas joined). */
  private String stream(HttpClient http, String url, String name, long s) throws Exception {
    ObjectNode body = JSON.createObjectNode();
    body.put("model", name).put("prompt", prompt).put("max_tokens", tokens).put("temperature", 1).put("seed", s)
        .put("stream", true);
    HttpResponse<java.util.stream.Stream<String>> r = http.send(HttpRequest.newBuilder(URI.create(url))
        .POST(HttpRequest.BodyPublishers.ofString(body.toString())).build(), HttpResponse.BodyHandlers.ofLines());
    StringBuilder text = new StringBuilder();
    int[] chunks = {0};
    r.body().forEach(line -> {
      if (!line.startsWith("data: ") || line.equals("data: [DONE]")) return;
      try {
        JsonNode c = JSON.readTree(line.substring(6));
        if (c.has("error")) throw new IllegalStateException(c.get("error").get("message").asText());
        if (!c.get("choices").isEmpty()) text.append(c.get("choices").get(0).get("text").asText());
        chunks[0]++;
      } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
        throw new IllegalStateException("bad event " + line);
      }
    });
    if (r.statusCode() != 200) throw new IllegalStateException("HTTP " + r.statusCode());
    return text.toString();
  }
}
