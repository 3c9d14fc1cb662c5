package lmlab.nn;

import java.util.List;

/**
 * What loading a state dict did, as PyTorch's {@code load_state_dict} result: the names loaded,
 * the model's names the source did not provide (missing: left as they were), the source's names
 * the model has no place for (unexpected: not read), and the stored tensors a weight mapper
 * deliberately dropped (ignored).
 */
public record LoadReport(List<String> loaded, List<String> missing, List<String> unexpected, List<String> ignored) {
  /** How many names an error message lists before "and N more". */
  static final int SHOWN = 5;

  public LoadReport {
    loaded = List.copyOf(loaded);
    missing = List.copyOf(missing);
    unexpected = List.copyOf(unexpected);
    ignored = List.copyOf(ignored);
  }

  /** Every tensor of the model was loaded and nothing was left over. */
  public boolean complete() {
    return missing.isEmpty() && unexpected.isEmpty();
  }

  /** One line: counts, then the first few missing and unexpected names. */
  public String summary() {
    StringBuilder sb = new StringBuilder("loaded " + loaded.size() + " tensors");
    if (!missing.isEmpty()) sb.append("; missing ").append(list(missing));
    if (!unexpected.isEmpty()) sb.append("; unexpected ").append(list(unexpected));
    if (!ignored.isEmpty()) sb.append("; ignored ").append(list(ignored));
    return sb.toString();
  }

  /** 'a', 'b', 'c' (the first {@link #SHOWN}, then "and N more"). */
  static String list(List<String> names) {
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < Math.min(SHOWN, names.size()); i++) sb.append(i == 0 ? "" : ", ").append('\'').append(names.get(i)).append('\'');
    if (names.size() > SHOWN) sb.append(" and ").append(names.size() - SHOWN).append(" more");
    return sb.toString();
  }
}
