package lmlab.nn;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import lmlab.tensor.Rng;
import org.junit.jupiter.api.Test;

class ParameterTableTest {
  @Test
  void rowsGiveOwnAndTotalCountsWithTiedTensorsOnce() {
    ModuleTest.Toy toy = new ModuleTest.Toy(new Rng(1));
    ParameterTable t = ParameterTable.of(toy);
    List<ParameterTable.Row> rows = t.rows();
    assertThat(rows).extracting(ParameterTable.Row::name)
        .containsExactly("", "embed", "block", "block.norm", "block.fc", "block.drop", "bn", "head");
    assertThat(rows.get(0)).isEqualTo(new ParameterTable.Row("", "Toy", 0, ModuleTest.TOY_PARAMS, 0, false));
    assertThat(rows.get(1)).isEqualTo(new ParameterTable.Row("embed", "Embedding", 20, 20, 0, true));
    assertThat(rows.get(2)).isEqualTo(new ParameterTable.Row("block", "Block", 0, 28, 0, false));
    assertThat(rows.get(4)).isEqualTo(new ParameterTable.Row("block.fc", "Linear", 20, 20, 0, false));
    assertThat(rows.get(5).total()).isZero();
    assertThat(rows.get(7)).isEqualTo(new ParameterTable.Row("head", "Linear", 5, 5, 20, false));
    assertThat(rows.stream().mapToLong(ParameterTable.Row::own).sum()).isEqualTo(t.total());
    assertThat(t.total()).isEqualTo(toy.numParameters());
    assertThat(t.embeddings()).isEqualTo(20);
    assertThat(t.totalExcludingEmbeddings()).isEqualTo(ModuleTest.TOY_PARAMS - 20);
    assertThat(rows.get(3).depth()).isEqualTo(2);
  }

  @Test
  void learnedPositionsCountAsEmbeddings() {
    LearnedPositions p = new LearnedPositions(16, 8, new Rng(1));
    assertThat(p.numParameters()).isEqualTo(128);
    assertThat(p.numParameters(false)).isZero();
  }

  @Test
  void formatPrintsOneLinePerModuleAndTheTotals() {
    String s = ParameterTable.of(new ModuleTest.Toy(new Rng(1))).format();
    assertThat(s).contains("(model) (Toy)", "embed (Embedding)", "  fc (Linear)", "(tied: 20)");
    assertThat(s).contains("total parameters:               " + ModuleTest.TOY_PARAMS);
    assertThat(s).contains("excluding embeddings:           " + (ModuleTest.TOY_PARAMS - 20));
    assertThat(s.lines().count()).isEqualTo(1 + 8 + 2);
  }
}
