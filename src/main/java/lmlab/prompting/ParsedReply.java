package lmlab.prompting;

import java.util.List;

/**
 * What {@link ReplyParser} made of one reply to a group of P questions (prompting.md, Parsing).
 *
 * @param format json, yaml or none
 * @param fenced the value came from a fenced code block
 * @param trailingText there was text before or after the JSON value
 * @param strictValid exactly one JSON value that validates with no normalisation
 * @param strictErrors why it is not strict-valid
 * @param usable at least one question got an answer
 * @param errors problems left after lenient normalisation
 * @param answers one entry per question (1 … P), empty when no value was found
 */
public record ParsedReply(
    String format,
    boolean fenced,
    boolean trailingText,
    boolean strictValid,
    List<String> strictErrors,
    boolean usable,
    List<String> errors,
    List<QuestionAnswer> answers) {

  /**
   * The reply's answer to one question.
   *
   * @param questionId 1 … P
   * @param answer canonical decimal text, or null
   * @param answerFlexible with flexible-extract applied to a non-numeric string, or null
   * @param difficulty easy, medium, hard, or null when absent or anything else
   * @param steps number of reasoning steps given
   * @param note null, "final_answer was a string", "final_answer not numeric", "no final_answer" or "no answer"
   */
  public record QuestionAnswer(
      int questionId, String answer, String answerFlexible, String difficulty, int steps, String note) {}

  /** The answer to question q (1-based), or null when the reply has none. */
  public QuestionAnswer answerTo(int q) {
    return q - 1 < answers.size() ? answers.get(q - 1) : null;
  }
}
