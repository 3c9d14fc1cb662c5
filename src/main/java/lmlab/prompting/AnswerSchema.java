package lmlab.prompting;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

/** The JSON Schema of prompting.md's answer object for P questions, and the structured-mode request field. */
public final class AnswerSchema {
  private static final ObjectMapper JSON = new ObjectMapper();

  private AnswerSchema() {}

  public static ObjectNode schema(int perPrompt) {
    String text = """
        {"type": "object", "additionalProperties": false, "required": ["answers"],
         "properties": {"answers": {"type": "array", "minItems": %d, "maxItems": %d, "items": {
           "type": "object", "additionalProperties": false,
           "required": ["question_id", "reasoning_process", "final_answer", "difficulty"],
           "properties": {
             "question_id": {"type": "integer"},
             "reasoning_process": {"type": "array", "minItems": 1, "items": {"type": "string"}},
             "final_answer": {"type": "number"},
             "difficulty": {"type": "string", "enum": ["easy", "medium", "hard"]}}}}}}
        """.formatted(perPrompt, perPrompt);
    try {
      return (ObjectNode) JSON.readTree(text);
    } catch (java.io.IOException e) {
      throw new IllegalStateException(e);
    }
  }

  /** {@code {"type": "json_schema", "json_schema": {"name": "gsm8k_answers", "strict": true, "schema": …}}}. */
  public static ObjectNode responseFormat(int perPrompt) {
    ObjectNode rf = JSON.createObjectNode().put("type", "json_schema");
    ObjectNode js = rf.putObject("json_schema");
    js.put("name", "gsm8k_answers").put("strict", true).set("schema", schema(perPrompt));
    return rf;
  }
}
