package lmlab.prompting;

import java.math.BigDecimal;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * lm-evaluation-harness's GSM8K answer extraction (tasks/gsm8k/gsm8k.yaml): the {@code
 * strict-match} and {@code flexible-extract} filters and the {@code exact_match} normalisation
 * (ignore case; remove {@code ,}, {@code $}, a leading {@code … #### } and a trailing {@code .}).
 */
public final class Extraction {
  public static final String INVALID = "[invalid]";
  private static final Pattern STRICT = Pattern.compile("#### (\\-?[0-9\\.\\,]+)");
  private static final Pattern FLEXIBLE = Pattern.compile("(-?[$0-9.,]{2,})|(-?[0-9]+)");
  private static final Pattern DECIMAL = Pattern.compile("-?\\d+(\\.\\d+)?");

  private Extraction() {}

  /** First match of {@code #### (\-?[0-9\.\,]+)}, else {@code [invalid]}. */
  public static String strictMatch(String text) {
    Matcher m = STRICT.matcher(text);
    return m.find() ? m.group(1) : INVALID;
  }

  /** Last match of {@code (-?[$0-9.,]{2,})|(-?[0-9]+)}, its first non-empty group, else {@code [invalid]}. */
  public static String flexibleExtract(String text) {
    Matcher m = FLEXIBLE.matcher(text);
    String last = INVALID;
    while (m.find()) last = m.group(1) != null && !m.group(1).isEmpty() ? m.group(1) : m.group(2);
    return last;
  }

  /** exact_match's normalisation: lower case, then remove ",", "$", a leading "… #### " and one trailing ".". */
  public static String normalise(String s) {
    if (s.equals(INVALID)) return s;
    String t = s.toLowerCase(java.util.Locale.ROOT).replace(",", "").replace("$", "");
    t = t.replaceFirst("(?s)^.*#### ", "");
    if (t.endsWith(".")) t = t.substring(0, t.length() - 1);
    return t;
  }

  /** A canonical decimal text ("18.0" and "18" both give "18"), or null when not a plain decimal. */
  public static String decimal(String s) {
    if (s == null || !DECIMAL.matcher(s).matches()) return null;
    return canonical(new BigDecimal(s));
  }

  public static String canonical(BigDecimal d) {
    BigDecimal s = d.stripTrailingZeros();
    return s.signum() == 0 ? "0" : s.toPlainString();
  }

  /** The flexible answer of free text: flexible-extract, normalised, as a decimal (null when none). */
  public static String flexibleAnswer(String text) {
    return decimal(normalise(flexibleExtract(text)));
  }

  /** Whether an answer (canonical decimal text) equals the gold integer as a number. */
  public static boolean correct(String answer, String gold) {
    if (answer == null) return false;
    return new BigDecimal(answer).compareTo(new BigDecimal(gold)) == 0;
  }
}
