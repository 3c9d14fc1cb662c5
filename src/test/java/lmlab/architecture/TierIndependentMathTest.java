package lmlab.architecture;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * No source calls a Vector API operation whose rounding depends on the JIT tier: a lane sum by
 * {@code reduceLanes(ADD)} (the interpreter adds in lane order, C2 in a tree) or a transcendental
 * {@code lanewise(EXP/LOG/TANH/...)} (intrinsic and Java fallback round differently). A model's
 * output must not change when HotSpot compiles a method, or a step split over threads would not
 * equal the same step on one thread, and a resumed training run would not equal an unbroken one.
 * {@code lmlab.kernels.Lanes} has deterministic replacements.
 */
class TierIndependentMathTest {
  private static final Pattern TIER_DEPENDENT = Pattern.compile(
      "reduceLanes\\(\\s*(VectorOperators\\.)?(ADD|MUL)\\b"
          + "|lanewise\\(\\s*(VectorOperators\\.)?(EXP|EXPM1|LOG|LOG1P|LOG10|TANH|SINH|COSH|SIN|COS|TAN"
          + "|ASIN|ACOS|ATAN|ATAN2|POW|HYPOT|CBRT)\\b");

  @Test
  void noTierDependentVectorMath() throws IOException {
    Path root = Path.of("src/main/java");
    List<String> found = new ArrayList<>();
    try (Stream<Path> files = Files.walk(root)) {
      for (Path f : files.filter(p -> p.toString().endsWith(".java")).toList()) {
        List<String> lines = Files.readAllLines(f);
        for (int i = 0; i < lines.size(); i++) {
          String code = lines.get(i).replaceAll("//.*", "");
          if (code.trim().startsWith("*")) continue; // javadoc
          if (TIER_DEPENDENT.matcher(code).find()) found.add(root.relativize(f) + ":" + (i + 1) + ": " + code.trim());
        }
      }
    }
    assertThat(found).as("tier-dependent vector math (use lmlab.kernels.Lanes)").isEmpty();
  }
}
