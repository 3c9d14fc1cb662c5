package lmlab.report;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import lmlab.autograd.Autograd;
import lmlab.io.Safetensors;
import lmlab.lab.arith.ArithmeticConfig;
import lmlab.lab.arith.ArithmeticDataset;
import lmlab.lab.arith.ArithmeticSplit;
import lmlab.lab.arith.ArithmeticVocab;
import lmlab.models.LanguageModel;
import lmlab.models.Models;
import lmlab.tensor.IntTensor;
import lmlab.tensor.Tensor;

/**
 * grok-attention (experiments.md): the attention maps of a trained arithmetic model on training
 * equations. Input X = {@code BOS a + b = r} (the sequence without EOS), eval mode, the model's own
 * forward with attentions returned: (B, N_layer, n_q, S, S). One figure per sample, N_layer rows ×
 * n_q columns of heat maps (rows = query, columns = key, both labelled with the tokens, future
 * cells blank, every cell annotated), the equation as title, one viridis colour bar on [0, 1].
 */
public final class AttentionFigures {
  private static final ObjectMapper JSON = new ObjectMapper();

  private AttentionFigures() {}

  /** A trained model with the task of its run. */
  public record Trained(Path runDir, LanguageModel model, ArithmeticDataset data) {}

  /** The samples: token ids (B, S) and their token names. */
  public record Samples(int[][] ids, List<List<String>> tokens) {}

  /** The maps: attentions (B, N_layer, n_q, S, S) and the samples. */
  public record Maps(Tensor attentions, Samples samples) {}

  /**
   * Loads a run directory (its checkpoints/latest) or a checkpoint directory inside a run, with the
   * run's arithmetic task from config.json.
   */
  public static Trained load(Path dir) throws IOException {
    if (!Files.isDirectory(dir)) throw new RunSet.BadInputException(dir + ": no such directory (expected a run or checkpoint directory)");
    Path run;
    Path checkpoint;
    if (Files.isRegularFile(dir.resolve("model.safetensors"))) {
      checkpoint = dir;
      run = dir.getParent() != null && dir.getParent().getParent() != null ? dir.getParent().getParent() : dir;
    } else if (Files.isRegularFile(dir.resolve("checkpoints/latest/model.safetensors"))) {
      checkpoint = dir.resolve("checkpoints/latest");
      run = dir;
    } else {
      throw new RunSet.BadInputException(dir + " has no trained model (expected a run directory with checkpoints/latest/"
          + "model.safetensors, or a checkpoint directory)");
    }
    Path config = run.resolve("config.json");
    JsonNode task = Files.isRegularFile(config) ? JSON.readTree(Files.readString(config)).path("task") : null;
    if (task == null || !task.isObject() || !"arithmetic".equals(task.path("name").asText())) {
      throw new RunSet.BadInputException(dir + ": attention maps of equations need an arithmetic run; expected "
          + run.resolve("config.json") + " with task.name arithmetic");
    }
    Map<String, Object> m = new LinkedHashMap<>();
    task.properties().forEach(e -> {
      if (!e.getKey().equals("name")) m.put(e.getKey(), e.getValue().isTextual() ? e.getValue().asText() : JSON.convertValue(e.getValue(), Object.class));
    });
    ArithmeticDataset data = ArithmeticDataset.of(ArithmeticConfig.fromMap(m));
    LanguageModel model = Models.load(checkpoint);
    model.eval();
    return new Trained(run, model, data);
  }

  /** The first n training equations in split order. */
  public static Samples firstTraining(Trained t, int n) {
    ArithmeticSplit train = t.data().train();
    int[][] ids = new int[Math.min(n, train.size())][];
    for (int i = 0; i < ids.length; i++) ids[i] = input(train.sequence(i), t.data().vocab());
    return samples(ids, t.data().vocab());
  }

  /**
   * Samples given as equations "3+5,17+28" (operands and operator; the result is the task's):
   * each must be a training equation of the run, else an error naming it and where it is.
   */
  public static Samples parse(Trained t, String text) {
    ArithmeticVocab vocab = t.data().vocab();
    List<int[]> out = new ArrayList<>();
    for (String raw : text.split(",")) {
      String s = raw.strip();
      if (s.isEmpty()) throw new RunSet.BadInputException("--samples: an empty sample in '" + text + "'; expected e.g. \"3+5,17+28\"");
      int[] found = find(t.data().train(), vocab, s);
      if (found == null) {
        String where = find(t.data().val(), vocab, s) != null ? "it is a validation equation"
            : "it is no equation of this task (p = " + t.data().config().p() + ", operator " + t.data().config().operator().symbol() + ")";
        throw new RunSet.BadInputException("--samples: '" + s + "' is not a training equation of " + t.runDir() + " (" + where
            + "); expected operands and operator of a training equation, e.g. \"" + example(t) + "\"");
      }
      out.add(found);
    }
    return samples(out.toArray(int[][]::new), vocab);
  }

  private static String example(Trained t) {
    List<String> tok = samples(new int[][] {input(t.data().train().sequence(0), t.data().vocab())}, t.data().vocab()).tokens().get(0);
    StringBuilder sb = new StringBuilder();
    for (int i = 1; i < tok.size() && !tok.get(i).equals(ArithmeticVocab.EQ); i++) sb.append(tok.get(i));
    return sb.toString();
  }

  /** The training sequence whose left-hand side reads s (tokens without spaces, e.g. 3+5), as model input, or null. */
  private static int[] find(ArithmeticSplit split, ArithmeticVocab vocab, String s) {
    String want = s.replace(" ", "");
    for (int i = 0; i < split.size(); i++) {
      int[] seq = split.sequence(i);
      StringBuilder lhs = new StringBuilder();
      for (int j = 1; j < seq.length; j++) {
        String name = vocab.name(seq[j]);
        if (name.equals(ArithmeticVocab.EQ)) break;
        lhs.append(name);
      }
      if (lhs.toString().equals(want)) return input(seq, vocab);
    }
    return null;
  }

  /** Tokens given as text: vocabulary names separated by spaces ("BOS 3 + 5 = 8"); BOS added when missing. */
  public static Samples text(Trained t, String text) {
    ArithmeticVocab vocab = t.data().vocab();
    Map<String, Integer> ids = new LinkedHashMap<>();
    for (int i = 0; i < vocab.size(); i++) ids.put(vocab.name(i), i);
    List<int[]> out = new ArrayList<>();
    for (String line : text.split(",")) {
      List<Integer> seq = new ArrayList<>();
      for (String tok : line.strip().split("\\s+")) {
        if (tok.isEmpty()) continue;
        Integer id = ids.get(tok);
        if (id == null) {
          throw new RunSet.BadInputException("--text: '" + tok + "' is not a token of this task's vocabulary; expected tokens "
              + "separated by spaces from " + String.join(" ", ids.keySet()));
        }
        seq.add(id);
      }
      if (seq.isEmpty() || seq.get(0) != vocab.bos()) seq.add(0, vocab.bos());
      out.add(seq.stream().mapToInt(Integer::intValue).toArray());
    }
    int len = out.get(0).length;
    for (int[] s : out) {
      if (s.length != len) throw new RunSet.BadInputException("--text: the sequences have different lengths; expected one length");
    }
    return samples(out.toArray(int[][]::new), vocab);
  }

  /** X = the sequence up to (not including) EOS. */
  static int[] input(int[] seq, ArithmeticVocab vocab) {
    int n = 0;
    while (n < seq.length && seq[n] != vocab.eos() && seq[n] != vocab.pad()) n++;
    return java.util.Arrays.copyOf(seq, n);
  }

  static Samples samples(int[][] ids, ArithmeticVocab vocab) {
    List<List<String>> tokens = new ArrayList<>();
    for (int[] s : ids) {
      List<String> names = new ArrayList<>();
      for (int id : s) names.add(vocab.name(id));
      tokens.add(names);
    }
    return new Samples(ids, tokens);
  }

  /** The model's attentions on the samples (eval mode, no graph). */
  public static Maps maps(Trained t, Samples s) {
    int b = s.ids().length;
    int len = s.ids()[0].length;
    int[] flat = new int[b * len];
    for (int i = 0; i < b; i++) System.arraycopy(s.ids()[i], 0, flat, i * len, len);
    Tensor att;
    try (var ignored = Autograd.noGrad()) {
      LanguageModel.Output out = t.model().forward(IntTensor.of(flat, b, len), new LanguageModel.Request(false, true));
      att = out.attentions();
    } catch (IllegalArgumentException | UnsupportedOperationException e) {
      throw new RunSet.BadInputException(t.runDir() + ": " + e.getMessage() + "; expected a Transformer run");
    }
    if (att == null) {
      throw new RunSet.BadInputException(t.runDir() + ": its model (" + t.model().config().path("model_type").asText("recurrent")
          + ") has no attention; expected a Transformer run");
    }
    return new Maps(att.contiguous(), s);
  }

  /** The figure of sample k (0-based): N_layer × n_q heat maps, title the equation. */
  public static Figure figure(Maps m, int k) {
    int[] shape = m.attentions().shape();
    int layers = shape[1];
    int heads = shape[2];
    int len = shape[3];
    List<String> tokens = m.samples().tokens().get(k);
    List<Panel> panels = new ArrayList<>();
    for (int l = 0; l < layers; l++) {
      for (int h = 0; h < heads; h++) {
        double[][] w = new double[len][len];
        for (int i = 0; i < len; i++) {
          for (int j = 0; j < len; j++) w[i][j] = j > i ? Double.NaN : m.attentions().get(k, l, h, i, j);
        }
        panels.add(new Panel.Heatmap("layer " + (l + 1) + ", head " + (h + 1), "key position", tokens, "query position", tokens,
            w, 0, 1, true));
      }
    }
    String equation = String.join(" ", tokens.subList(1, tokens.size()));
    return new Figure("attention-sample" + (k + 1), equation, layers, heads, panels,
        new Legend.ColourBar("attention weight", 0, 1), "attention weights of every layer and head on the training equation "
            + equation + " (rows: query position, columns: key position; future positions blank).");
  }

  /** Writes attention-sample&lt;k&gt;.png/.svg for every sample and attention.safetensors (attentions, tokens) into out. */
  public static List<Path> write(Maps m, Path out) throws IOException {
    Files.createDirectories(out);
    List<Path> written = new ArrayList<>();
    for (int k = 0; k < m.samples().ids().length; k++) written.add(FigureWriter.write(figure(m, k), out));
    int b = m.samples().ids().length;
    int len = m.samples().ids()[0].length;
    int[] flat = new int[b * len];
    for (int i = 0; i < b; i++) System.arraycopy(m.samples().ids()[i], 0, flat, i * len, len);
    Path st = out.resolve("attention.safetensors");
    Safetensors.write(st, Map.of("attentions", m.attentions()), Map.of("tokens", IntTensor.of(flat, b, len)), Map.of());
    written.add(st);
    return written;
  }
}
