package lmlab.nn;

import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import lmlab.tensor.Tensor;

/**
 * Parameter counts by module, the {@code lmlab params} table. Every module of the tree has a row
 * (depth first, registration order, the root under the name ""): its own parameters (the tensors
 * it registers itself) and its total including its children. A tied tensor is counted once, in
 * the first module that registers it (as {@link Module#namedParameters}); later owners list it
 * under {@code tied}. So the own counts add up to the model's total.
 *
 * <p>Embedding parameters are those owned by {@link Embedding} and {@link LearnedPositions}
 * modules; a head tied to the token embedding shares its tensor and so is no extra count.
 */
public final class ParameterTable {
  /**
   * One module: dotted path ("" for the root), class name, own parameters counted here, total over
   * the subtree, parameters it registers that were already counted elsewhere (tied), and whether
   * it is an embedding table.
   */
  public record Row(String name, String type, long own, long total, long tied, boolean embedding) {
    /** Depth of the module in the tree: 0 for the root. */
    public int depth() {
      return name.isEmpty() ? 0 : name.split("\\.").length;
    }
  }

  private final List<Row> rows;
  private final long total;
  private final long embeddings;

  private ParameterTable(List<Row> rows, long total, long embeddings) {
    this.rows = rows;
    this.total = total;
    this.embeddings = embeddings;
  }

  /** The table of model. */
  public static ParameterTable of(Module model) {
    Map<String, Module> modules = model.namedModules();
    IdentityHashMap<Tensor, Boolean> seen = new IdentityHashMap<>();
    List<String> names = new ArrayList<>(modules.keySet());
    long[] own = new long[names.size()];
    long[] tied = new long[names.size()];
    boolean[] emb = new boolean[names.size()];
    long total = 0;
    long embeddings = 0;
    for (int i = 0; i < names.size(); i++) {
      Module m = modules.get(names.get(i));
      emb[i] = isEmbedding(m);
      for (Tensor p : m.ownParameters().values()) {
        if (seen.put(p, true) == null) {
          own[i] += p.numel();
        } else {
          tied[i] += p.numel();
        }
      }
      total += own[i];
      if (emb[i]) embeddings += own[i];
    }
    List<Row> rows = new ArrayList<>(names.size());
    for (int i = 0; i < names.size(); i++) {
      String name = names.get(i);
      String prefix = name + ".";
      long sub = 0;
      for (int j = 0; j < names.size(); j++) {
        if (j == i || name.isEmpty() || names.get(j).startsWith(prefix)) sub += own[j];
      }
      rows.add(new Row(name, modules.get(name).getClass().getSimpleName(), own[i], sub, tied[i], emb[i]));
    }
    return new ParameterTable(Collections.unmodifiableList(rows), total, embeddings);
  }

  /** True for the modules whose parameters are "embeddings": Embedding and LearnedPositions. */
  public static boolean isEmbedding(Module m) {
    return m instanceof Embedding || m instanceof LearnedPositions;
  }

  public List<Row> rows() {
    return rows;
  }

  /** All parameters, tied tensors once (= {@link Module#numParameters()}). */
  public long total() {
    return total;
  }

  /** Parameters of the embedding modules. */
  public long embeddings() {
    return embeddings;
  }

  /** Parameters outside the embedding modules. */
  public long totalExcludingEmbeddings() {
    return total - embeddings;
  }

  /**
   * A plain-text table: one line per module (indented by depth; the root is "(model)"), columns
   * own and total, "(tied: n)" where a module reuses counted tensors, then the totals with and
   * without embeddings.
   */
  public String format() {
    List<String> labels = new ArrayList<>();
    int width = "module".length();
    for (Row r : rows) {
      String label = "  ".repeat(Math.max(0, r.depth() - 1)) + (r.name().isEmpty() ? "(model)" : lastPart(r.name()))
          + " (" + r.type() + ")";
      labels.add(label);
      width = Math.max(width, label.length());
    }
    StringBuilder sb = new StringBuilder();
    String fmt = "%-" + width + "s  %14s  %14s%s%n";
    sb.append(String.format(Locale.ROOT, fmt, "module", "own", "total", ""));
    for (int i = 0; i < rows.size(); i++) {
      Row r = rows.get(i);
      String note = r.tied() > 0 ? "  (tied: " + group(r.tied()) + ")" : "";
      sb.append(String.format(Locale.ROOT, fmt, labels.get(i), group(r.own()), group(r.total()), note));
    }
    sb.append(String.format(Locale.ROOT, "total parameters:               %s%n", group(total)));
    sb.append(String.format(Locale.ROOT, "excluding embeddings:           %s%n", group(totalExcludingEmbeddings())));
    return sb.toString();
  }

  @Override
  public String toString() {
    return format();
  }

  private static String lastPart(String name) {
    int dot = name.lastIndexOf('.');
    return dot < 0 ? name : name.substring(dot + 1);
  }

  private static String group(long n) {
    return String.format(Locale.ROOT, "%,d", n);
  }
}
