package lmlab.prompting;

import java.util.ArrayList;
import java.util.List;

/**
 * One question's score in one reply: correct when the answer's decimal value equals the gold
 * integer ({@code 18.0} and {@code 18} are both 18), and the same for the flexible answer.
 */
public record QuestionScore(
    int questionId, String gold, String answer, boolean correct, String answerFlexible, boolean correctFlexible) {

  public static List<QuestionScore> score(ParsedReply reply, List<String> gold) {
    List<QuestionScore> out = new ArrayList<>();
    for (int q = 1; q <= gold.size(); q++) {
      ParsedReply.QuestionAnswer a = reply.answerTo(q);
      String g = gold.get(q - 1);
      String ans = a == null ? null : a.answer();
      String flex = a == null ? null : a.answerFlexible();
      out.add(new QuestionScore(q, g, ans, Extraction.correct(ans, g), flex, Extraction.correct(flex, g)));
    }
    return out;
  }
}
