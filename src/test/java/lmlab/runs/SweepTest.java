package lmlab.runs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class SweepTest {
  static final ObjectMapper JSON = new ObjectMapper();

  static Sweep parse(String json) throws Exception {
    return Sweep.parse(JSON.readTree(json), "test.json");
  }

  @Test
  void runIdsFormatValuesAsPythonAndHydraDo() {
    assertThat(RunIds.shortest(0.3)).isEqualTo("0.3");
    assertThat(RunIds.shortest(0.0001)).isEqualTo("0.0001");
    assertThat(RunIds.shortest(0.00001)).isEqualTo("1e-05");
    assertThat(RunIds.shortest(1.0)).isEqualTo("1.0");
    assertThat(RunIds.shortest(0.25)).isEqualTo("0.25");
    assertThat(RunIds.shortest(1e16)).isEqualTo("1e+16");
    assertThat(RunIds.shortest(123.5)).isEqualTo("123.5");
    assertThat(RunIds.value(JSON.valueToTree(List.of(2, 3)))).isEqualTo("2+3");
    assertThat(RunIds.value(JSON.valueToTree("a/b c"))).isEqualTo("a%2Fb%20c");
    assertThat(RunIds.value(JSON.valueToTree(512))).isEqualTo("512");
  }

  @Test
  void theGridExpandsInHydraOrderWithSeedsInnermost() throws Exception {
    Sweep s = parse("""
        {"name": "data-scaling", "base": {"steps": 101},
         "grid": {"model": ["gpt", "lstm-lm"], "r_train": [0.1, 0.5, 0.9]}, "seeds": [0, 42]}""");
    List<Sweep.Run> runs = s.expand(Sweep.Scale.FULL, Path.of("runs/data-scaling"));
    assertThat(runs).hasSize(12);
    assertThat(runs.stream().map(Sweep.Run::id).limit(4)).containsExactly("model=gpt,r_train=0.1,seed=0",
        "model=gpt,r_train=0.1,seed=42", "model=gpt,r_train=0.5,seed=0", "model=gpt,r_train=0.5,seed=42");
    assertThat(runs.get(11).id()).isEqualTo("model=lstm-lm,r_train=0.9,seed=42");
    Map<String, JsonNode> st = runs.get(3).settings();
    assertThat(st.get("steps").asLong()).isEqualTo(101);
    assertThat(st.get("seed").asLong()).isEqualTo(42);
    assertThat(st.get("runs_dir").asText()).isEqualTo("runs/data-scaling");
    assertThat(st.get("run_name").asText()).isEqualTo(runs.get(3).id());
    assertThat(s.directory(Sweep.Scale.SMOKE)).isEqualTo(Path.of("runs/data-scaling-smoke"));

    // tiny: first and last value of each grid key, 11 steps, eval every 5 and eval_first 0
    List<Sweep.Run> tiny = s.expand(Sweep.Scale.TINY, Path.of("x"));
    assertThat(tiny).hasSize(8);
    assertThat(tiny.get(0).settings().get("steps").asLong()).isEqualTo(11);
    assertThat(tiny.get(0).settings().get("eval_first").asLong()).isZero();
    // smoke: (T - 1)/20 + 1 steps, eval every 5 and eval_first 5
    Sweep.Run smoke = Experiments.sweep("grok-data").expand(Sweep.Scale.SMOKE, Path.of("y")).getFirst();
    assertThat(smoke.settings().get("steps").asLong()).isEqualTo(501);
    assertThat(smoke.settings().get("eval_period").asLong()).isEqualTo(5);
    assertThat(smoke.id()).isEqualTo("gpt-r0.1-s0");
  }

  @Test
  void aListOfGridsIsTheUnionOfTheirProductsWithoutDuplicates() throws Exception {
    Sweep s = parse("""
        {"name": "u", "grid": [{"model": ["gpt"], "set.num_key_value_heads": [1, 2]},
                               {"model": ["gpt"], "set.num_key_value_heads": [2, 4]}], "seeds": [0],
         "run_name": "kv{set.num_key_value_heads}"}""");
    List<Sweep.Run> runs = s.expand(Sweep.Scale.FULL, Path.of("x"));
    assertThat(runs.stream().map(Sweep.Run::id)).containsExactly("kv1", "kv2", "kv4");
    assertThat(runs.get(2).settings().get("set").get("num_key_value_heads").asInt()).isEqualTo(4);
  }

  @Test
  void theBuiltInExperimentsHaveTheirRunCountsAndIds() {
    Map<String, Integer> counts = Map.of("grok-sanity", 4, "grok-data", 36, "grok-orders", 4, "grok-size", 36,
        "grok-compute", 20, "grok-wd", 8);
    Map<String, String> firstId = Map.of("grok-sanity", "gpt-s0", "grok-data", "gpt-r0.1-s0", "grok-orders", "gpt-s0",
        "grok-size", "gpt-L1-d64-s0", "grok-compute", "gpt-B32-s0", "grok-wd", "lstm-lm-wd0.25-s0");
    int total = 0;
    for (String name : Experiments.SWEEPS) {
      List<Sweep.Run> runs = Experiments.sweep(name).expand(Sweep.Scale.FULL, Path.of("runs", name));
      assertThat(runs).as(name).hasSize(counts.get(name));
      assertThat(runs.getFirst().id()).as(name).isEqualTo(firstId.get(name));
      total += runs.size();
    }
    assertThat(total).isEqualTo(108);
    Sweep.Run sizeRun = Experiments.sweep("grok-size").expand(Sweep.Scale.FULL, Path.of("x")).get(8);
    assertThat(sizeRun.id()).isEqualTo("gpt-L2-d128-s0");
    assertThat(Experiments.sweep("grok-compute").expand(Sweep.Scale.FULL, Path.of("x")).get(2).id()).isEqualTo("gpt-B64-s0");
    Sweep.Run orders = Experiments.sweep("grok-orders").expand(Sweep.Scale.FULL, Path.of("x")).getFirst();
    assertThat(RunSpec.of(orders.settings(), orders.id()).task().describe()).containsEntry("p", 11);
  }

  @Test
  void badDescriptionsAreOneLineNamingTheKeyOrRun() {
    assertThatThrownBy(() -> parse("{\"name\": \"x\", \"base\": {\"colour\": 1}}"))
        .hasMessageStartingWith("test.json: unknown base key 'colour'");
    assertThatThrownBy(() -> parse("{\"name\": \"x\", \"grid\": {\"learning_rate\": [1]}}"))
        .hasMessageStartingWith("test.json: unknown grid key 'learning_rate'");
    assertThatThrownBy(() -> parse("{\"name\": \"x\", \"grid\": {}}")).hasMessageStartingWith("test.json: \"grid\" is empty");
    assertThatThrownBy(() -> parse("{\"name\": \"x\", \"grid\": {\"lr\": []}}"))
        .hasMessage("test.json: grid key 'lr' has no values");
    assertThatThrownBy(() -> parse("{\"name\": \"x\", \"grids\": {}}")).hasMessageStartingWith("test.json: unknown key 'grids'");
    assertThatThrownBy(() -> parse("{\"name\": \"x\", \"grid\": {\"lr\": [\"fast\"]}, \"seeds\": [0]}")
        .expand(Sweep.Scale.FULL, Path.of("d")))
        .hasMessage("sweep x: run lr=fast,seed=0: train settings: lr must be a number, got \"fast\"");
    assertThatThrownBy(() -> parse("{\"name\": \"x\", \"grid\": {\"lr\": [0.1, 0.2]}, \"run_name\": \"same\"}")
        .expand(Sweep.Scale.FULL, Path.of("d")))
        .hasMessageContaining("runs 0 and 1 have the same id 'same'");
    assertThatThrownBy(() -> parse("{\"name\": \"x\", \"seeds\": [0.5]}")).hasMessageContaining("seeds must be whole numbers");
  }
}
