package lmlab.decode.structured;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.BitSet;
import java.util.Random;
import lmlab.prompting.AnswerSchema;
import lmlab.prompting.SchemaValidator;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Constrained generation with random logits over GPT-2's real vocabulary (50,257 tokens): every
 * generation that stops is JSON that parses (Jackson) and validates (prompting's independent
 * validator) against prompting.md's answer schema; one cut by the token limit is a prefix the
 * automaton still accepts; bounded schemas stop within 64 tokens.
 */
class ConstrainedGenerationTest {
  static final ObjectMapper JSON = new ObjectMapper();
  static byte[][] vocab;
  static TokenTrie trie;

  @BeforeAll
  static void load() throws IOException {
    assumeTrue(Files.exists(Gpt2Vocab.FILE), "skipped: " + Gpt2Vocab.FILE + " absent");
    vocab = Gpt2Vocab.load();
    trie = new TokenTrie(vocab);
  }

  record Generation(String text, boolean stopped, int tokens) {}

  /**
   * Samples from random logits at temperature 1: with logits drawn i.i.d. for every token, the
   * masked softmax sample is uniformly distributed over the allowed tokens (the draw is
   * exchangeable), so the token is drawn uniformly from the mask, which costs no transcendental
   * per token.
   */
  static Generation generate(JsonSchemaSubset.Node schema, long seed, int maxTokens) {
    Random r = new Random(seed);
    JsonConstraint c = new JsonConstraint(schema, trie, vocab, Gpt2Vocab.END_OF_TEXT);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (int t = 0; t < maxTokens; t++) {
      if (c.finished()) return new Generation(out.toString(StandardCharsets.UTF_8), true, t);
      BitSet allowed = c.allowed();
      assertThat(allowed.isEmpty()).as("no token allowed after %s", out).isFalse();
      int best = allowed.nextSetBit(0);
      for (int k = r.nextInt(allowed.cardinality()); k > 0; k--) best = allowed.nextSetBit(best + 1);
      c.accept(best);
      if (best == Gpt2Vocab.END_OF_TEXT) return new Generation(out.toString(StandardCharsets.UTF_8), true, t + 1);
      out.writeBytes(vocab[best]);
    }
    return new Generation(out.toString(StandardCharsets.UTF_8), c.finished(), maxTokens);
  }

  /**
   * 200 seeds with a 256-token limit: a random model rarely closes a string (few GPT-2 tokens
   * hold a quote), so most are cut by the limit and must be prefixes the automaton accepts; those
   * that stop must parse and validate. The unbounded version is {@link #everyUnboundedGenerationStopsValid}.
   */
  @Test
  void twoHundredRandomGenerationsWithTheAnswerSchemaParseAndValidate() throws IOException {
    check(200, 256, false);
  }

  /** 200 seeds without a practical limit: every one ends with stop and validates (slow: long strings). */
  @Test
  @org.junit.jupiter.api.Tag("slow")
  void everyUnboundedGenerationStopsValid() throws IOException {
    check(200, 1 << 20, true);
  }

  private void check(int seeds, int maxTokens, boolean allMustStop) throws IOException {
    JsonNode schema = AnswerSchema.schema(3);
    JsonSchemaSubset.Node node = JsonSchemaSubset.compile(schema);
    int stopped = 0;
    long t0 = System.nanoTime();
    long tokens = 0;
    for (int seed = 0; seed < seeds; seed++) {
      Generation g = generate(node, seed, maxTokens);
      tokens += g.tokens();
      if (g.stopped()) {
        stopped++;
        JsonNode v = JSON.readTree(g.text());
        assertThat(SchemaValidator.validate(schema, v)).as("seed %d: %s", seed, g.text()).isEmpty();
      } else {
        assertThat(JsonAutomaton.feed(JsonAutomaton.start(node), g.text().getBytes(StandardCharsets.UTF_8))).isNotNull();
      }
    }
    System.out.printf("constrained: %d/%d stopped, %d tokens, %.1f s%n", stopped, seeds, tokens, (System.nanoTime() - t0) / 1e9);
    if (allMustStop) assertThat(stopped).isEqualTo(seeds);
  }

  @Test
  void boundedSchemasStopWithin64Tokens() throws IOException {
    JsonNode schema = JSON.readTree("{\"type\": \"object\", \"properties\": {\"n\": {\"type\": \"integer\"}, \"ok\": {\"type\": \"boolean\"},"
        + " \"level\": {\"enum\": [\"easy\", \"medium\", \"hard\"]}}, \"required\": [\"n\", \"ok\", \"level\"]}");
    JsonSchemaSubset.Node node = JsonSchemaSubset.compile(schema);
    for (int seed = 0; seed < 200; seed++) {
      Generation g = generate(node, seed, 64);
      assertThat(g.stopped()).as("seed %d: %s", seed, g.text()).isTrue();
      assertThat(SchemaValidator.validate(schema, JSON.readTree(g.text()))).isEmpty();
    }
  }
}
