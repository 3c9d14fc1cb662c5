package lmlab.analysis;

/**
 * How attention FLOPs are counted (analysis.md): CAUSAL counts only the lower triangle with the
 * diagonal, d_h·L(L+1) per head for the scores and as much for A·V; FULL counts the whole square,
 * 2·d_h·L^2 each — what an engine that computes every score and then masks does (lmlab's does).
 */
public enum Counting {
  CAUSAL,
  FULL;

  public static Counting parse(String s) {
    return switch (s == null ? "" : s.trim().toLowerCase(java.util.Locale.ROOT)) {
      case "causal" -> CAUSAL;
      case "full" -> FULL;
      default -> throw new IllegalArgumentException("attention counting '" + s + "' is not known; use causal or full");
    };
  }
}
