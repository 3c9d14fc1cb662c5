package lmlab.prompting;

import java.util.ArrayList;
import java.util.List;

/**
 * The exact prompts of prompting.md: one system message for both modes, question blocks,
 * demonstration answers serialised on one line, and the completion-mode rendering for base models
 * without a chat template.
 */
public final class Prompts {
  private Prompts() {}

  public static final String SYSTEM =
      "You are a careful math tutor. Solve each question below. Reply with a single JSON object and nothing"
          + " else, of this form:\n"
          + "{\"answers\": [{\"question_id\": 1, \"reasoning_process\": [\"step 1\", \"step 2\"], \"final_answer\": 42,"
          + " \"difficulty\": \"easy\"}]}\n"
          + "Give exactly one entry per question, in the order given, with these four keys:\n"
          + "- \"question_id\": the question's ID, an integer;\n"
          + "- \"reasoning_process\": a list of strings, one short calculation step each;\n"
          + "- \"final_answer\": the final numeric answer as a JSON number, without units, currency signs or"
          + " thousands separators;\n"
          + "- \"difficulty\": \"easy\", \"medium\" or \"hard\".";

  /** Completion-mode stop sequence: the model starting a new question block. */
  public static final String COMPLETION_STOP = "\n\nQuestions:";

  /** {@code Question ID: q\n<text>} for q = 1 … P, joined by a blank line. */
  public static String questionBlock(List<Gsm8k.Problem> questions) {
    StringBuilder b = new StringBuilder();
    for (int q = 0; q < questions.size(); q++) {
      if (q > 0) b.append("\n\n");
      b.append("Question ID: ").append(q + 1).append('\n').append(questions.get(q).question());
    }
    return b.toString();
  }

  /** The gold answer object of a demonstration, on one line (keys in schema order). */
  public static String demonstrationAnswer(List<Gsm8k.Problem> demo) {
    StringBuilder b = new StringBuilder("{\"answers\": [");
    for (int q = 0; q < demo.size(); q++) {
      Gsm8k.Problem p = demo.get(q);
      if (q > 0) b.append(", ");
      b.append("{\"question_id\": ").append(q + 1).append(", \"reasoning_process\": [");
      List<String> steps = p.goldSteps();
      for (int s = 0; s < steps.size(); s++) {
        if (s > 0) b.append(", ");
        jsonString(b, steps.get(s));
      }
      b.append("], \"final_answer\": ").append(new java.math.BigDecimal(p.goldAnswer()).toBigIntegerExact());
      b.append(", \"difficulty\": ");
      jsonString(b, p.goldDifficulty());
      b.append('}');
    }
    return b.append("]}").toString();
  }

  /** A JSON string with escapes only for quote, backslash and control characters (UTF-8 kept). */
  static void jsonString(StringBuilder b, String s) {
    b.append('"');
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '"' -> b.append("\\\"");
        case '\\' -> b.append("\\\\");
        case '\n' -> b.append("\\n");
        case '\r' -> b.append("\\r");
        case '\t' -> b.append("\\t");
        case '\b' -> b.append("\\b");
        case '\f' -> b.append("\\f");
        default -> {
          if (c < 0x20) b.append(String.format("\\u%04x", (int) c));
          else b.append(c);
        }
      }
    }
    b.append('"');
  }

  /** Zero-shot ({@code demos} empty) or few-shot chat messages for one group. */
  public static List<ChatMessage> messages(List<Gsm8k.Problem> group, List<List<Gsm8k.Problem>> demos) {
    List<ChatMessage> m = new ArrayList<>();
    m.add(ChatMessage.system(SYSTEM));
    for (List<Gsm8k.Problem> d : demos) {
      m.add(ChatMessage.user(questionBlock(d)));
      m.add(ChatMessage.assistant(demonstrationAnswer(d)));
    }
    m.add(ChatMessage.user(questionBlock(group)));
    return m;
  }

  /** The same conversation as one text prompt for {@code /v1/completions}. */
  public static String completionPrompt(List<ChatMessage> messages) {
    List<String> parts = new ArrayList<>();
    for (ChatMessage m : messages) {
      switch (m.role()) {
        case "system" -> parts.add(m.content());
        case "user" -> parts.add("Questions:\n" + m.content());
        case "assistant" -> parts.add("Answer:\n" + m.content());
        default -> throw new IllegalArgumentException("role " + m.role());
      }
    }
    return String.join("\n\n", parts) + "\n\nAnswer:\n";
  }
}
