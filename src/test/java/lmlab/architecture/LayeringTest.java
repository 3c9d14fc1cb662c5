package lmlab.architecture;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The package layering of docs/ARCHITECTURE.md, checked on the compiled classes: a package may
 * use packages of its own rank or below, never one above. Peers on one rank (train and decode;
 * lab, runs, report, analysis, prompting; cli and serve) may use each other.
 */
class LayeringTest {
  /** Lowest rank first; each entry lists the top-level packages of that rank. */
  static final List<List<String>> RANKS = List.of(
      List.of("kernels"),
      List.of("tensor", "autograd"),
      List.of("io", "tokenize"),
      List.of("nn"),
      List.of("models"),
      List.of("train", "decode"),
      List.of("lab", "runs", "report", "analysis", "prompting"),
      List.of("cli", "serve"));

  private static JavaClasses classes;

  @BeforeAll
  static void importMainClasses() {
    classes = new ClassFileImporter()
        .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
        .importPackages("lmlab");
  }

  @Test
  void noPackageUsesOneAboveIt() {
    for (int rank = 0; rank < RANKS.size() - 1; rank++) {
      List<String> above = new ArrayList<>();
      for (int higher = rank + 1; higher < RANKS.size(); higher++) {
        for (String p : RANKS.get(higher)) above.add("lmlab." + p + "..");
      }
      for (String p : RANKS.get(rank)) {
        noClasses().that().resideInAPackage("lmlab." + p + "..")
            .should().dependOnClassesThat().resideInAnyPackage(above.toArray(String[]::new))
            .because("lmlab." + p + " sits below " + above + " (docs/ARCHITECTURE.md)")
            .allowEmptyShould(true)
            .check(classes);
      }
    }
  }

  @Test
  void everyMainPackageHasARank() {
    List<String> known = RANKS.stream().flatMap(List::stream).toList();
    List<String> unranked = classes.stream()
        .map(c -> c.getPackageName())
        .filter(p -> p.startsWith("lmlab."))
        .map(p -> p.substring("lmlab.".length()).split("\\.")[0])
        .distinct()
        .filter(p -> !known.contains(p))
        .toList();
    if (!unranked.isEmpty()) {
      throw new AssertionError("packages without a rank in LayeringTest.RANKS (add them, and to docs/ARCHITECTURE.md): "
          + unranked);
    }
  }
}
