package lmlab.cli;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import lmlab.prompting.ContrastExperiment;
import lmlab.prompting.Endpoint;
import lmlab.prompting.IclExperiment;
import lmlab.prompting.IclReport;
import lmlab.prompting.IclSettings;
import lmlab.prompting.OpenAiClient;
import lmlab.prompting.RunFiles;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code lmlab prompt}: the prompting experiments of prompting.md against OpenAI-compatible endpoints. */
@Command(
    name = "prompt",
    mixinStandardHelpOptions = true,
    description = "Prompting experiments against OpenAI-compatible endpoints (lmlab serve, vLLM, llama.cpp, Ollama, OpenAI).",
    subcommands = {PromptCommand.Gsm8k.class, PromptCommand.Contrast.class, PromptCommand.Report.class})
public final class PromptCommand implements Runnable {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    throw new CommandLine.ParameterException(spec.commandLine(), "give a subcommand: gsm8k (icl), contrast or report");
  }

  /** Endpoint, model and key flags shared by both experiments. */
  static final class EndpointFlags {
    @Option(names = {"--endpoint", "--endpoints"}, required = true, split = ",", paramLabel = "[NAME=]URL",
        description = "Base URL of an OpenAI-compatible API, e.g. http://127.0.0.1:8080/v1 (repeatable or"
            + " comma-separated; unnamed endpoints are called A, B, ...).")
    List<String> endpoints = new ArrayList<>();

    @Option(names = {"--model", "--models"}, split = ",", paramLabel = "[NAME=]ID",
        description = "Model id to request from each endpoint (by name, or in the order of --endpoint).")
    List<String> models = new ArrayList<>();

    @Option(names = "--api-key-env", split = ",", paramLabel = "[NAME=]VAR",
        description = "Environment variable holding an endpoint's API key (keys are never taken from the command line,"
            + " written or logged).")
    List<String> keyEnvs = new ArrayList<>();

    List<Endpoint> resolve() {
      Map<String, String> urls = new LinkedHashMap<>();
      for (int i = 0; i < endpoints.size(); i++) {
        String s = endpoints.get(i);
        int eq = s.indexOf('=');
        boolean named = eq > 0 && !s.substring(0, eq).contains(":") && !s.substring(0, eq).contains("/");
        String name = named ? s.substring(0, eq) : String.valueOf((char) ('A' + i));
        if (urls.put(name, named ? s.substring(eq + 1) : s) != null)
          throw new IllegalArgumentException("--endpoint: the name " + name + " is given twice");
      }
      List<String> names = new ArrayList<>(urls.keySet());
      Map<String, String> modelOf = assign("--model", models, names);
      Map<String, String> keyOf = assign("--api-key-env", keyEnvs, names);
      List<Endpoint> out = new ArrayList<>();
      for (String n : names) {
        String model = modelOf.get(n);
        if (model == null) throw new IllegalArgumentException("--model: no model id for endpoint " + n + " (give --model " + n + "=ID)");
        out.add(new Endpoint(n, Endpoint.parseUrl(n, urls.get(n)), model, keyOf.get(n)));
      }
      return out;
    }

    /** NAME=VALUE items by name; bare items in endpoint order; one bare item serves every endpoint. */
    private static Map<String, String> assign(String flag, List<String> items, List<String> names) {
      Map<String, String> m = new LinkedHashMap<>();
      List<String> bare = new ArrayList<>();
      for (String s : items) {
        int eq = s.indexOf('=');
        if (eq > 0 && names.contains(s.substring(0, eq))) m.put(s.substring(0, eq), s.substring(eq + 1));
        else bare.add(s);
      }
      if (bare.size() == 1 && names.size() > 1 && m.isEmpty()) {
        for (String n : names) m.put(n, bare.get(0));
        return m;
      }
      if (bare.size() > names.size())
        throw new IllegalArgumentException(flag + ": " + bare.size() + " values for " + names.size() + " endpoints");
      List<String> free = names.stream().filter(n -> !m.containsKey(n)).toList();
      for (int i = 0; i < bare.size(); i++) {
        if (i >= free.size()) throw new IllegalArgumentException(flag + ": '" + bare.get(i) + "' matches no endpoint");
        m.put(free.get(i), bare.get(i));
      }
      return m;
    }
  }

  static Path defaultOut(String kind) {
    return Path.of("runs", "prompt", kind + "-" + LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")));
  }

  static Duration timeout(double seconds) {
    if (!(seconds > 0)) throw new IllegalArgumentException("--timeout must be > 0 seconds, got " + seconds);
    return Duration.ofMillis((long) (seconds * 1000));
  }

  @Command(
      name = "gsm8k",
      aliases = "icl",
      mixinStandardHelpOptions = true,
      sortOptions = false,
      description = {
        "GSM8K in context (prompting.md): P random test questions per prompt, zero-shot and with "
            + "demonstrations, structured answers parsed, validated and scored, R seeded repeats.",
        "Writes config.json, requests.jsonl (as it goes) and report.md/csv/json.",
        "Exit 0 when every request succeeded, 2 when some failed (reports still written), 1 for bad input.",
        ""
      })
  static final class Gsm8k implements Callable<Integer> {
    @CommandLine.Spec CommandLine.Model.CommandSpec spec;
    @CommandLine.Mixin EndpointFlags ep;

    @Option(names = "--api", defaultValue = "chat", paramLabel = "API", description = "chat (default) or completions (base models without a chat template).")
    String api;

    @Option(names = "--shots", split = ",", defaultValue = "0,2", paramLabel = "D",
        description = "Demonstration counts to compare; 0 is zero-shot (default 0,2: zero-shot and 2 demonstrations).")
    List<Integer> shots;

    @Option(names = "--structured", description = "Also run each mode with the answer schema as response_format.")
    boolean structured;

    @Option(names = {"--per-prompt", "--questions"}, defaultValue = "3", paramLabel = "P", description = "Questions per prompt (default 3).")
    int perPrompt;

    @Option(names = "--ids", split = ",", paramLabel = "SPLIT:INDEX",
        description = "Ask these questions (e.g. test:779,test:805,test:876) instead of sampling; cut into groups of P.")
    List<String> ids = new ArrayList<>();

    @Option(names = "--groups", defaultValue = "1", paramLabel = "G", description = "Question groups (default 1).")
    int groups;

    @Option(names = "--repeats", defaultValue = "3", paramLabel = "R", description = "Repeats per prompt, seeds S..S+R-1 (default 3).")
    int repeats;

    @Option(names = "--split", defaultValue = "test", paramLabel = "SPLIT", description = "Evaluated split: test (default) or train.")
    String split;

    @Option(names = "--seed", defaultValue = "0", paramLabel = "S", description = "Sampling seed; repeat r sends seed S+r (default 0).")
    long seed;

    @Option(names = "--data", defaultValue = "../shared/data", paramLabel = "DIR", description = "Folder with gsm8k_{train,test}.jsonl (default ../shared/data).")
    Path data;

    @Option(names = "--temperature", defaultValue = "0.7", paramLabel = "T") double temperature;
    @Option(names = "--top-p", defaultValue = "1", paramLabel = "P") double topP;
    @Option(names = "--max-tokens", defaultValue = "1024", paramLabel = "N") int maxTokens;

    @Option(names = "--timeout", defaultValue = "600", paramLabel = "S", description = "Per-request timeout in seconds (default 600).")
    double timeoutSeconds;

    @Option(names = "--out", paramLabel = "DIR", description = "Run directory (default runs/prompt/gsm8k-<time>).")
    Path out;

    @Option(names = "--resume", paramLabel = "DIR", description = "Rerun only the requests of DIR that have no successful record.")
    Path resume;

    @Override
    public Integer call() throws IOException {
      if (!api.equals("chat") && !api.equals("completions"))
        throw new IllegalArgumentException("--api: '" + api + "' unknown; expected chat or completions");
      IclSettings s = new IclSettings(ep.resolve(), api.equals("completions"), shots, structured, perPrompt, groups,
          repeats, split, ids, seed, data, temperature, topP, maxTokens, timeout(timeoutSeconds));
      Path dir = resume != null ? resume : out != null ? out : defaultOut("gsm8k");
      if (resume != null) RunFiles.readConfig(resume);
      int status = new IclExperiment(s, new OpenAiClient(s.timeout()), spec.commandLine().getErr()).run(dir);
      spec.commandLine().getOut().println("report: " + dir.resolve("report.md"));
      return status;
    }
  }

  @Command(
      name = "contrast",
      mixinStandardHelpOptions = true,
      sortOptions = false,
      description = {
        "One prompt, R times to each endpoint; a reply is correct when its flexible-extract value equals "
            + "--expect-number or it matches --expect-regex.",
        "The verdict says whether one endpoint is always right and the other never. Exit 0 when every "
            + "request succeeded, 2 otherwise, 1 for bad input.",
        ""
      })
  static final class Contrast implements Callable<Integer> {
    @CommandLine.Spec CommandLine.Model.CommandSpec spec;
    @CommandLine.Mixin EndpointFlags ep;

    @Option(names = "--prompt", paramLabel = "TEXT", description = "The user message.") String prompt;
    @Option(names = "--prompt-file", paramLabel = "FILE", description = "Read the user message from FILE (UTF-8).") Path promptFile;
    @Option(names = "--system", paramLabel = "TEXT", description = "An optional system message.") String system;
    @Option(names = {"--expect-number", "--answer"}, paramLabel = "X", description = "The correct number.") String expectNumber;
    @Option(names = "--expect-regex", paramLabel = "RE", description = "A pattern every correct reply contains.") String expectRegex;
    @Option(names = "--repeats", defaultValue = "3", paramLabel = "R") int repeats;
    @Option(names = "--temperature", defaultValue = "0.7", paramLabel = "T") double temperature;
    @Option(names = "--seed", defaultValue = "0", paramLabel = "S") long seed;
    @Option(names = "--max-tokens", defaultValue = "1024", paramLabel = "N") int maxTokens;
    @Option(names = "--timeout", defaultValue = "600", paramLabel = "S") double timeoutSeconds;
    @Option(names = "--out", paramLabel = "DIR", description = "Run directory (default runs/prompt/contrast-<time>).") Path out;

    @Override
    public Integer call() throws IOException {
      if ((prompt == null) == (promptFile == null))
        throw new IllegalArgumentException("give exactly one of --prompt TEXT and --prompt-file FILE");
      String text = prompt;
      if (promptFile != null) {
        try {
          text = Files.readString(promptFile, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
          throw new IllegalArgumentException("--prompt-file: " + promptFile + " not found");
        }
      }
      ContrastExperiment.Settings s = new ContrastExperiment.Settings(text, system, ep.resolve(), repeats, temperature,
          seed, expectNumber, expectRegex, maxTokens, timeout(timeoutSeconds));
      Path dir = out != null ? out : defaultOut("contrast");
      int status = new ContrastExperiment(s, new OpenAiClient(s.timeout()), spec.commandLine().getErr()).run(dir);
      spec.commandLine().getOut().println("report: " + dir.resolve("report.md"));
      return status;
    }
  }

  @Command(name = "report", mixinStandardHelpOptions = true, description = "Rebuild report.md/csv/json of a prompting run from its records.")
  static final class Report implements Callable<Integer> {
    @CommandLine.Spec CommandLine.Model.CommandSpec spec;
    @Parameters(paramLabel = "DIR", description = "A run directory written by lmlab prompt gsm8k or contrast.") Path dir;

    @Override
    public Integer call() throws IOException {
      var config = RunFiles.readConfig(dir);
      var records = RunFiles.readRecords(dir);
      var out = spec.commandLine().getOut();
      if (config.path("kind").asText().equals("contrast")) out.println(ContrastExperiment.write(dir, config, records));
      else IclReport.write(dir, config, records);
      out.println("report: " + dir.resolve("report.md"));
      return 0;
    }
  }
}
