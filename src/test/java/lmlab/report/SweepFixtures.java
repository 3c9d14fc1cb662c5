package lmlab.report;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Sweep directories of the built-in grok experiments at the tiny scale's shape (first and last
 * value of each grid key, seeds 0 and 42), with sweep.json as the sweep runner writes it and
 * hand-written runs ({@link RunFixtures}); one run of each sweep left unfinished.
 */
public final class SweepFixtures {
  private static final ObjectMapper JSON = new ObjectMapper();

  private SweepFixtures() {}

  public static final List<String> GROK = List.of("grok-sanity", "grok-data", "grok-orders", "grok-size", "grok-compute", "grok-wd");

  /** Writes runs/&lt;name&gt;-tiny under root; returns the sweep directory. */
  public static Path write(Path root, String name) throws IOException {
    Map<String, List<Object>> grid = new LinkedHashMap<>();
    String title;
    String pattern;
    switch (name) {
      case "grok-sanity" -> {
        grid.put("model", List.of("gpt", "lstm-lm"));
        title = "Sanity check (IFT6135 HW2 P4)";
        pattern = "{model}-s{seed}";
      }
      case "grok-data" -> {
        grid.put("model", List.of("gpt", "lstm-lm"));
        grid.put("r_train", List.of(0.1, 0.9));
        title = "Data scaling (IFT6135 HW2 P4)";
        pattern = "{model}-r{r_train}-s{seed}";
      }
      case "grok-orders" -> {
        grid.put("model", List.of("gpt", "lstm-lm"));
        title = "Binary and ternary (IFT6135 HW2 P4)";
        pattern = "{model}-s{seed}";
      }
      case "grok-size" -> {
        grid.put("model", List.of("gpt", "lstm-lm"));
        grid.put("layers", List.of(1, 3));
        grid.put("d_model", List.of(64, 256));
        title = "Model size (IFT6135 HW2 P4)";
        pattern = "{model}-L{layers}-d{d_model}-s{seed}";
      }
      case "grok-compute" -> {
        grid.put("model", List.of("gpt", "lstm-lm"));
        grid.put("batch_size", List.of(32, 512));
        title = "Batch size and compute (IFT6135 HW2 P4)";
        pattern = "{model}-B{batch_size}-s{seed}";
      }
      case "grok-wd" -> {
        grid.put("weight_decay", List.of(0.25, 1.0));
        title = "Regularisation (IFT6135 HW2 P4)";
        pattern = "lstm-lm-wd{weight_decay}-s{seed}";
      }
      default -> throw new IllegalArgumentException(name);
    }
    Path dir = Files.createDirectories(root.resolve(name + "-tiny"));
    ObjectNode sweep = JSON.createObjectNode();
    sweep.put("name", name);
    sweep.put("title", title);
    ObjectNode base = sweep.putObject("base");
    base.put("steps", 1001);
    if (name.equals("grok-orders")) {
      base.put("p", 11);
      base.putArray("orders").add(2).add(3);
    }
    if (name.equals("grok-wd")) base.put("model", "lstm-lm");
    ObjectNode g = sweep.putObject("grid");
    grid.forEach((k, vs) -> {
      ArrayNode a = g.putArray(k);
      for (Object v : vs) a.addPOJO(v);
    });
    sweep.putArray("seeds").add(0).add(42);
    sweep.put("run_name", pattern);
    sweep.put("scale", "tiny");
    ArrayNode runs = sweep.putArray("runs");
    List<Map<String, Object>> points = new ArrayList<>();
    points.add(new LinkedHashMap<>());
    for (var e : grid.entrySet()) {
      List<Map<String, Object>> next = new ArrayList<>();
      for (Map<String, Object> p : points) {
        for (Object v : e.getValue()) {
          Map<String, Object> q = new LinkedHashMap<>(p);
          q.put(e.getKey(), v);
          next.add(q);
        }
      }
      points = next;
    }
    int index = 0;
    for (Map<String, Object> p : points) {
      for (int seed : new int[] {0, 42}) {
        String id = pattern;
        for (var e : p.entrySet()) id = id.replace("{" + e.getKey() + "}", String.valueOf(e.getValue()));
        id = id.replace("{seed}", Integer.toString(seed));
        ObjectNode r = runs.addObject();
        r.put("index", index);
        r.put("id", id);
        ObjectNode st = r.putObject("settings");
        base.properties().forEach(e -> st.set(e.getKey(), e.getValue()));
        p.forEach(st::putPOJO);
        st.put("seed", seed);
        String model = String.valueOf(p.getOrDefault("model", base.path("model").asText("gpt")));
        RunFixtures.Spec spec = RunFixtures.Spec.of(model, ((Number) p.getOrDefault("r_train", 0.5)).doubleValue(), seed)
            .size(((Number) p.getOrDefault("layers", 2)).intValue(), ((Number) p.getOrDefault("d_model", 128)).intValue())
            .batch(((Number) p.getOrDefault("batch_size", 512)).intValue())
            .weightDecay(((Number) p.getOrDefault("weight_decay", 1.0)).doubleValue());
        if (name.equals("grok-orders")) spec = spec.withOrders();
        boolean lastRun = index == points.size() * 2 - 1;
        if (lastRun) spec = spec.unfinished(500);
        RunFixtures.write(dir.resolve(id), spec);
        index++;
      }
    }
    Files.writeString(dir.resolve("sweep.json"), JSON.writerWithDefaultPrettyPrinter().writeValueAsString(sweep));
    return dir;
  }
}
