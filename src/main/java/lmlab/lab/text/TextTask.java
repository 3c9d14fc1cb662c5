package lmlab.lab.text;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import lmlab.autograd.Autograd;
import lmlab.decode.Sampling;
import lmlab.lab.LabTask;
import lmlab.models.LanguageModel;
import lmlab.models.Transformer;
import lmlab.tensor.IntTensor;
import lmlab.tensor.Rng;
import lmlab.tensor.Tensor;
import lmlab.train.RunDirectory;

/**
 * Character-level language modelling (text.md): minGPT's chargpt on a text file.
 *
 * <p><b>Batches</b>: B independent windows with replacement (minGPT's Trainer:
 * {@code RandomSampler(replacement=True)}), the start i uniform on 0 … n_train − S − 1
 * (CharDataset's {@code len(data) − block_size} starting points); x = ids[i … i+S−1],
 * y = ids[i+1 … i+S], S the current stage's block size.
 *
 * <p><b>Loss</b>: the mean over all B·S positions of −log softmax(logits)[y] (model.py line 278).
 *
 * <p><b>Evaluation</b> (dropout off, no gradient): {@code val_loss} on the validation split's
 * non-overlapping windows, {@code train_loss} on as many windows from the start of the training
 * split, the mean over every predicted character; with stages, at every block size of the
 * schedule too ({@code val_loss_S128}, ...), {@code val_loss} being the block size the model
 * last trained at.
 *
 * <p><b>Files</b>: steps.jsonl (the trainer, with {@code block_size}), train_logs.json (the course
 * starter's per-iteration lists), samples.jsonl, and vocab.json in every checkpoint.
 */
public final class TextTask implements LabTask {
  /** Windows per forward pass during evaluation. */
  static final int EVAL_CHUNK = 64;
  public static final String SAMPLES = "samples.jsonl";
  public static final String TRAIN_LOGS = "train_logs.json";
  public static final String VOCAB = "vocab.json";

  private static final ObjectMapper JSON = new ObjectMapper();

  private final TextConfig config;
  private final TextData data;
  private final long seed;
  /** First step of each later stage (empty without stages). */
  private final long[] stageStarts;
  private int stage; // the stage of the current step's update
  private long currentStep;
  private Path runDir;
  private long steps = -1;

  public TextTask(TextConfig config, long seed) {
    this(config, TextData.load(config.data(), config.trainFraction()), seed);
  }

  TextTask(TextConfig config, TextData data, long seed) {
    this.config = config;
    this.data = data;
    this.seed = seed;
    check(config, data);
    List<Stage> st = config.stages() == null ? List.of() : config.stages();
    this.stageStarts = new long[Math.max(0, st.size() - 1)];
    long at = 0;
    for (int i = 0; i + 1 < st.size(); i++) stageStarts[i] = at += st.get(i).iters();
  }

  private static void check(TextConfig c, TextData d) {
    int s = c.maxBlockSize();
    if (d.size() < s + 1) {
      throw new IllegalArgumentException("data file " + c.data() + " has " + d.size() + " characters; block_size " + s
          + " needs at least " + (s + 1));
    }
    if (d.nTrain() < s + 1) {
      throw new IllegalArgumentException("data file " + c.data() + ": the training split (train_fraction "
          + c.trainFraction() + ") has " + d.nTrain() + " characters; block_size " + s + " needs at least " + (s + 1));
    }
    if (c.trainFraction() < 1 && d.nVal() < s + 1) {
      throw new IllegalArgumentException("data file " + c.data() + ": the validation split (train_fraction "
          + c.trainFraction() + ") has " + d.nVal() + " characters; block_size " + s + " needs at least " + (s + 1)
          + " (or train_fraction 1.0: no validation)");
    }
  }

  public TextConfig config() {
    return config;
  }

  public TextData data() {
    return data;
  }

  @Override
  public String name() {
    return TextTaskType.NAME;
  }

  @Override
  public int vocabSize() {
    return data.vocab().vocabSize();
  }

  @Override
  public String vocabularyNote() {
    return "the " + vocabSize() + " distinct characters of " + config.data();
  }

  @Override
  public int sequenceLength() {
    return config.maxBlockSize();
  }

  @Override
  public int positionTable() {
    return config.maxBlockSize();
  }

  @Override
  public long requiredSteps() {
    if (config.stages() == null) return -1;
    long n = 1;
    for (Stage s : config.stages()) n += s.iters();
    return n;
  }

  @Override
  public String runLabel() {
    String f = config.data().getFileName().toString();
    int dot = f.lastIndexOf('.');
    return (dot > 0 ? f.substring(0, dot) : f) + "-S" + String.join("+", config.blockSizes().stream().map(String::valueOf).toList());
  }

  @Override
  public String toString() {
    return "text " + config.data() + " (" + data.size() + " characters, V " + vocabSize() + ", train " + data.nTrain()
        + ", block " + String.join("→", config.blockSizes().stream().map(String::valueOf).toList()) + ")";
  }

  /** The current block size (the stage of the current step's update). */
  public int blockSize() {
    return config.stages() == null ? config.blockSize() : config.stages().get(stage).blockSize();
  }

  // ---------------------------------------------------------------- stages

  @Override
  public long[] stageStarts() {
    return stageStarts.clone();
  }

  @Override
  public void atStep(long t) {
    currentStep = t;
    int k = 0;
    for (long s : stageStarts) if (t >= s) k++;
    // the last step has no update: it belongs to the last stage
    stage = Math.min(k, Math.max(0, stageStarts.length));
  }

  /** The block size the model was last trained at when it stands at step t (the first stage's at step 0). */
  private int trainedBlockSize(long t) {
    if (config.stages() == null) return config.blockSize();
    int k = 0;
    for (long s : stageStarts) if (t - 1 >= s) k++;
    return config.stages().get(k).blockSize();
  }

  // ---------------------------------------------------------------- batches and loss

  /** A batch of windows: inputs and targets (B, S). */
  public record TextBatch(IntTensor inputs, IntTensor targets) implements Batch {
    @Override
    public int size() {
      return inputs.size(0);
    }
  }

  @Override
  public TextBatch sample(Rng rng, int batchSize) {
    if (batchSize < 1) throw new IllegalArgumentException("batch size must be >= 1, got " + batchSize);
    int s = blockSize();
    int[] starts = new int[batchSize];
    for (int b = 0; b < batchSize; b++) starts[b] = rng.nextInt(data.nTrain() - s);
    return windows(starts, s);
  }

  /** The windows starting at these offsets (x = ids[i … i+S−1], y = ids[i+1 … i+S]). */
  public TextBatch windows(int[] starts, int s) {
    int[] ids = data.ids();
    int[] x = new int[starts.length * s];
    int[] y = new int[starts.length * s];
    for (int b = 0; b < starts.length; b++) {
      System.arraycopy(ids, starts[b], x, b * s, s);
      System.arraycopy(ids, starts[b] + 1, y, b * s, s);
    }
    return new TextBatch(IntTensor.of(x, starts.length, s), IntTensor.of(y, starts.length, s));
  }

  @Override
  public Tensor loss(LanguageModel model, Batch batch) {
    if (!(batch instanceof TextBatch b)) {
      throw new IllegalArgumentException("TextTask.loss: expected a batch from TextTask.sample, got " + batch.getClass().getName());
    }
    checkVocab(model);
    return Transformer.loss(model.logits(b.inputs()), b.targets());
  }

  // ---------------------------------------------------------------- evaluation

  @Override
  public Map<String, Double> evaluate(LanguageModel model) {
    checkVocab(model);
    boolean wasTraining = model.isTraining();
    model.eval();
    try (var g = Autograd.noGrad()) {
      Map<String, Double> out = new LinkedHashMap<>();
      int current = trainedBlockSize(currentStep);
      boolean validation = config.trainFraction() < 1;
      out.put("train_loss", splitLoss(model, false, current));
      if (validation) out.put("val_loss", splitLoss(model, true, current));
      if (config.stages() != null) {
        for (int s : config.blockSizes()) {
          out.put("train_loss_S" + s, s == current ? out.get("train_loss") : splitLoss(model, false, s));
          if (validation) out.put("val_loss_S" + s, s == current ? out.get("val_loss") : splitLoss(model, true, s));
        }
      }
      return out;
    } finally {
      model.train(wasTraining);
    }
  }

  /** The mean loss over every predicted character of a split's windows at block size s. */
  double splitLoss(LanguageModel model, boolean validation, int s) {
    int[] starts = data.windows(validation, s, config.evalWindows());
    if (starts.length == 0) return Double.NaN;
    double sum = 0;
    for (int from = 0; from < starts.length; from += EVAL_CHUNK) {
      int[] chunk = java.util.Arrays.copyOfRange(starts, from, Math.min(starts.length, from + EVAL_CHUNK));
      TextBatch b = windows(chunk, s);
      sum += Transformer.loss(model.logits(b.inputs()), b.targets()).item() * chunk.length;
    }
    return sum / starts.length;
  }

  @Override
  public Monitor monitor() {
    return config.trainFraction() < 1 ? Monitor.min("val_loss") : Monitor.min("train_loss");
  }

  // ---------------------------------------------------------------- run files

  @Override
  public boolean logsSteps() {
    return true;
  }

  @Override
  public Map<String, Object> stepFields() {
    return Map.of("block_size", blockSize());
  }

  @Override
  public void attach(Path runDir, long step, long steps) throws IOException {
    this.runDir = runDir;
    this.steps = steps;
    RunDirectory.truncateBefore(runDir.resolve(SAMPLES), step);
  }

  /** Whether step t ends a stage or the run (where samples are drawn), or falls on sample_period. */
  boolean samplesAt(long t) {
    if (t == steps - 1) return true;
    for (long s : stageStarts) if (s == t) return true;
    return config.samplePeriod() > 0 && t > 0 && t % config.samplePeriod() == 0;
  }

  @Override
  public void afterEvaluation(long t, LanguageModel model) throws IOException {
    if (runDir == null) return;
    writeTrainLogs();
    if (samplesAt(t) && config.sampleChars() > 0) writeSample(t, model);
  }

  /**
   * Appends the sample of step t to samples.jsonl: the prompt and sample_chars characters drawn by
   * {@link CharGeneration} (τ, top-k, seeded with the run's seed, so it draws on no training stream).
   */
  private void writeSample(long t, LanguageModel model) throws IOException {
    Sampling sampling = new Sampling(config.sampleTemperature(), config.sampleTopK(), 1.0, 0.0, 1.0, seed);
    int[] prompt = CharGeneration.encodePrompt(data.vocab(), config.samplePrompt(), "the data file " + config.data());
    int[] ids = CharGeneration.generate(model, config.maxBlockSize(), prompt, config.sampleChars(), sampling, null);
    ObjectNode line = JSON.createObjectNode();
    line.put("step", t);
    line.put("prompt", config.samplePrompt());
    line.put("temperature", config.sampleTemperature());
    line.put("top_k", config.sampleTopK());
    line.put("seed", seed);
    line.put("text", CharGeneration.text(data.vocab(), ids));
    java.nio.file.Files.write(runDir.resolve(SAMPLES), (JSON.writeValueAsString(line) + "\n").getBytes(
        java.nio.charset.StandardCharsets.UTF_8), java.nio.file.StandardOpenOption.CREATE,
        java.nio.file.StandardOpenOption.APPEND);
  }

  @Override
  public void writeCheckpointFiles(Path dir) {
    data.vocab().write(dir.resolve(VOCAB));
  }

  @Override
  public void finish() throws IOException {
    if (runDir != null) writeTrainLogs();
  }

  /**
   * train_logs.json, the course starter's format: train_losses (per iteration),
   * attention_computation_time (ms) and attention_computation_memory (MiB), from steps.jsonl.
   */
  void writeTrainLogs() throws IOException {
    List<ObjectNode> lines = RunDirectory.readLines(runDir.resolve(RunDirectory.STEPS));
    ObjectNode o = JSON.createObjectNode();
    ArrayNode loss = o.putArray("train_losses");
    ArrayNode time = o.putArray("attention_computation_time");
    ArrayNode mem = o.putArray("attention_computation_memory");
    for (ObjectNode l : lines) {
      loss.add(l.path("loss").asDouble());
      time.add(l.path("attn_ms").asDouble());
      mem.add(l.path("attn_core_bytes").asDouble() / (1024.0 * 1024.0));
    }
    RunDirectory.writeAtomically(runDir.resolve(TRAIN_LOGS), (JSON.writeValueAsString(o) + "\n").getBytes(
        java.nio.charset.StandardCharsets.UTF_8));
  }

  // ---------------------------------------------------------------- settings

  @Override
  public Map<String, Object> describe() {
    Map<String, Object> m = config.toMap();
    m.put("data_sha256", data.sha256());
    m.put("data_chars", data.size());
    m.put("vocab_size", vocabSize());
    m.put("seed", seed); // the samples' seed
    return m;
  }

  private void checkVocab(LanguageModel model) {
    if (model.vocabSize() != vocabSize()) {
      throw new IllegalArgumentException("the model's vocabulary has " + model.vocabSize() + " tokens but the text task ("
          + vocabularyNote() + ") needs " + vocabSize());
    }
  }

  long seed() {
    return seed;
  }
}
