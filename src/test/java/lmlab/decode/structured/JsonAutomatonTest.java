package lmlab.decode.structured;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import lmlab.prompting.AnswerSchema;
import org.junit.jupiter.api.Test;

/** The byte-level automaton accepts and rejects hand-written texts (serving.md, Structured output). */
class JsonAutomatonTest {
  static final ObjectMapper JSON = new ObjectMapper();
  static final JsonSchemaSubset.Node GSM8K = JsonSchemaSubset.compile(AnswerSchema.schema(3));

  static JsonAutomaton.State feed(JsonSchemaSubset.Node n, String text) {
    return JsonAutomaton.feed(JsonAutomaton.start(n), text.getBytes(StandardCharsets.UTF_8));
  }

  static JsonSchemaSubset.Node schema(String s) throws Exception {
    return JsonSchemaSubset.compile(JSON.readTree(s));
  }

  static final String ANSWER = "{\"question_id\": 1, \"reasoning_process\": [\"60/15 = 4 \\\"worms\\\" \\u00e9 per hour\", \"4 * 6 = 24 – ok\"],"
      + " \"final_answer\": -8.25e+2, \"difficulty\": \"medium\"}";

  @Test
  void acceptsTheAnswerSchemaLanguage() {
    String ok = "{\"answers\": [" + ANSWER + ", " + ANSWER + ",\n    " + ANSWER + "]}";
    JsonAutomaton.State s = feed(GSM8K, ok);
    assertThat(s).isNotNull();
    assertThat(s.done()).isTrue();
    String compact = "{\"answers\":[" + ANSWER + "," + ANSWER + "," + ANSWER + "]}";
    assertThat(feed(GSM8K, compact).done()).isTrue();
    assertThat(feed(GSM8K, "{\"answers\": [" + ANSWER.substring(0, 40)).done()).isFalse();
  }

  @Test
  void rejectsWhatTheSchemaOrJsonForbid() {
    String a = ANSWER;
    // two items only (minItems 3), four items (maxItems 3)
    assertThat(feed(GSM8K, "{\"answers\": [" + a + ", " + a + "]")).isNull();
    assertThat(feed(GSM8K, "{\"answers\": [" + a + ", " + a + ", " + a + ",")).isNull();
    // keys out of order, unknown key, missing required key
    assertThat(feed(GSM8K, "{\"answers\": [{\"final_answer\"")).isNull();
    assertThat(feed(GSM8K, "{\"answers\": [{\"confidence\"")).isNull();
    assertThat(feed(GSM8K, "{\"answers\": [{\"question_id\": 1}")).isNull();
    // integer with a fraction, leading zero, 17 digits; number as a string; enum outside the list
    assertThat(feed(GSM8K, "{\"answers\": [{\"question_id\": 1.5")).isNull();
    assertThat(feed(GSM8K, "{\"answers\": [{\"question_id\": 01")).isNull();
    assertThat(feed(GSM8K, "{\"answers\": [{\"question_id\": 12345678901234567")).isNull();
    assertThat(feed(GSM8K, "{\"answers\": [{\"question_id\": 1, \"reasoning_process\": [\"a\"], \"final_answer\": \"8\"")).isNull();
    assertThat(feed(GSM8K, "{\"answers\": [{\"question_id\": 1, \"reasoning_process\": [\"a\"], \"final_answer\": 8, \"difficulty\": \"Easy\"")).isNull();
    // empty reasoning list (minItems 1)
    assertThat(feed(GSM8K, "{\"answers\": [{\"question_id\": 1, \"reasoning_process\": []")).isNull();
    // whitespace: two spaces, newline twice, 21 indentation characters, before the value
    assertThat(feed(GSM8K, "{  \"answers\"")).isNull();
    assertThat(feed(GSM8K, "{\n\n")).isNull();
    assertThat(feed(GSM8K, "{\n" + " ".repeat(20) + "\"answers\"")).isNotNull();
    assertThat(feed(GSM8K, "{\n" + " ".repeat(21))).isNull();
    assertThat(feed(GSM8K, " {")).isNull();
    // nothing after the value
    assertThat(feed(GSM8K, "{\"answers\": [" + a + ", " + a + ", " + a + "]} ")).isNull();
  }

  @Test
  void stringsAreWellFormedUtf8AndEscapes() throws Exception {
    JsonSchemaSubset.Node str = schema("{\"type\": \"string\"}");
    assertThat(feed(str, "\"caf\u00e9 \ud83d\ude00 \\n \\t \\/ \\u00e9 \\uD7FF\"").done()).isTrue();
    assertThat(feed(str, "\"a\nb\"")).isNull(); // raw control character
    assertThat(feed(str, "\"\\x\"")).isNull(); // unknown escape
    assertThat(feed(str, "\"\\ud800\"")).isNull(); // surrogate escape
    assertThat(feed(str, "\"\\u12g4\"")).isNull();
    byte[][] bad = {{'"', (byte) 0xC0, (byte) 0x80}, {'"', (byte) 0xED, (byte) 0xA0, (byte) 0x80}, {'"', (byte) 0xF5},
        {'"', (byte) 0x80}, {'"', (byte) 0xE0, (byte) 0x80}, {'"', (byte) 0xF4, (byte) 0x90}};
    for (byte[] b : bad) assertThat(JsonAutomaton.feed(JsonAutomaton.start(str), b)).as(java.util.Arrays.toString(b)).isNull();
    // a token may end inside a character: the prefix is accepted
    assertThat(JsonAutomaton.feed(JsonAutomaton.start(str), new byte[] {'"', (byte) 0xF0, (byte) 0x9F})).isNotNull();
  }

  @Test
  void numbersIntegersEnumsLiteralsAndJsonObject() throws Exception {
    JsonSchemaSubset.Node num = schema("{\"type\": \"number\"}");
    for (String ok : new String[] {"0", "-0", "12.5", "1e5", "1E-07", "-3.25e+123", "1234567890123456.1234567890123456"})
      assertThat(feed(num, ok).canEnd()).as(ok).isTrue();
    for (String bad : new String[] {"01", "1.", "1e", ".5", "+1", "1e1234", "--1", "12345678901234567"})
      assertThat(feed(num, bad) == null || !feed(num, bad).canEnd()).as(bad).isTrue();
    JsonSchemaSubset.Node e = schema("{\"enum\": [\"a\", 1, 12, true, null]}");
    assertThat(feed(e, "12").canEnd()).isTrue();
    assertThat(feed(e, "\"a\"").canEnd()).isTrue();
    assertThat(feed(e, "\"b\"")).isNull();
    assertThat(feed(e, "13")).isNull();
    JsonSchemaSubset.Node multi = schema("{\"type\": [\"boolean\", \"null\"]}");
    assertThat(feed(multi, "false").canEnd()).isTrue();
    assertThat(feed(multi, "nul").canEnd()).isFalse();
    JsonAutomaton.State any = feed(JsonSchemaSubset.ANY_OBJECT, "{\"x\": [1, {\"y\": null}, \"s\", true], \"k\": {}}");
    assertThat(any.done()).isTrue();
    assertThat(feed(JsonSchemaSubset.ANY_OBJECT, "[1]")).isNull();
    assertThat(feed(JsonSchemaSubset.ANY_OBJECT, "{\"a\": [".repeat(1) + "[".repeat(70))).isNull(); // depth > 64
    JsonSchemaSubset.Node opt = schema("{\"type\": \"object\", \"properties\": {\"a\": {\"type\": \"integer\"}, \"b\": {\"type\": \"integer\"}, \"c\": {\"type\": \"integer\"}}, \"required\": [\"c\"]}");
    assertThat(feed(opt, "{\"c\": 1}").done()).isTrue();
    assertThat(feed(opt, "{\"b\": 2, \"c\": 1}").done()).isTrue();
    assertThat(feed(opt, "{\"b\": 2}")).isNull();
    assertThat(feed(opt, "{\"c\": 1, \"a\"")).isNull();
  }

  @Test
  void unsupportedSchemasNameTheKeywordAndPointer() {
    assertThatThrownBy(() -> schema("{\"type\": \"object\", \"properties\": {\"name\": {\"type\": \"string\", \"pattern\": \"x\"}}}"))
        .hasMessage("keyword 'pattern' at /properties/name is not supported");
    assertThatThrownBy(() -> schema("{\"enum\": []}")).hasMessage("'enum' at / is empty: no value can match");
    assertThatThrownBy(() -> schema("{\"type\": \"array\", \"items\": {\"type\": \"string\"}, \"minItems\": 3, \"maxItems\": 2}"))
        .hasMessage("'minItems' 3 > 'maxItems' 2 at /: no array can match");
    assertThatThrownBy(() -> schema("{\"type\": \"object\", \"additionalProperties\": true}"))
        .hasMessageStartingWith("'additionalProperties' at / must be false");
    assertThatThrownBy(() -> schema("{\"type\": \"object\", \"properties\": {}, \"required\": [\"x\"]}"))
        .hasMessage("'required' at / names \"x\", which is not in 'properties'");
  }

  static JsonNode parse(String s) throws Exception {
    return JSON.readTree(s);
  }
}
