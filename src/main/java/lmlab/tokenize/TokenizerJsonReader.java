package lmlab.tokenize;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * Reads a Hugging Face {@code tokenizer.json} holding byte-level BPE (the fields and accepted
 * values of tokenizers.md's table). Any other model, normaliser, pre-tokenizer, decoder or
 * post-processor is refused with a message naming the field: lmlab does not guess at semantics
 * it does not implement.
 */
final class TokenizerJsonReader {
  private static final String ONLY = " (lmlab reads byte-level BPE only)";

  private final Path file;
  private final String name;

  private TokenizerJsonReader(Path file) {
    this.file = file;
    this.name = file.toString();
  }

  static ByteLevelBpe read(Path file, TokenizerFiles.ConfigFiles config) {
    return new TokenizerJsonReader(file).read(config);
  }

  private ByteLevelBpe read(TokenizerFiles.ConfigFiles config) {
    JsonNode root = Json.read(file);
    if (!root.isObject()) throw fail("the top level", root, "a JSON object");
    JsonNode model = root.path("model");
    if (!model.isObject()) throw fail("model", model, "an object with type BPE");
    checkModel(model);
    ByteLevelBpe.Normalization normalization = normalizer(root.get("normalizer"), "normalizer");
    List<PreTokenizer.Step> steps = new ArrayList<>();
    preTokenizer(root.get("pre_tokenizer"), "pre_tokenizer", steps, true);
    checkDecoder(root.get("decoder"));

    VocabularyBuilder vocab = new VocabularyBuilder(name + " model.vocab", "model.vocab");
    JsonNode v = model.path("vocab");
    if (!v.isObject()) throw fail("model.vocab", v, "an object of token → id");
    for (Iterator<Map.Entry<String, JsonNode>> it = v.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      if (!e.getValue().canConvertToInt()) throw fail("model.vocab['" + e.getKey() + "']", e.getValue(), "an integer id");
      vocab.add(e.getKey(), e.getValue().asInt());
    }
    vocab.checkByteSymbols();
    JsonNode merges = model.path("merges");
    if (!merges.isArray()) throw fail("model.merges", merges, "a list of merges");
    for (int i = 0; i < merges.size(); i++) {
      JsonNode m = merges.get(i);
      String where = name + " model.merges[" + i + "]";
      if (m.isTextual()) {
        String[] parts = m.asText().split(" ", -1);
        if (parts.length != 2 || parts[0].isEmpty() || parts[1].isEmpty()) {
          throw new TokenizerException(where + " is '" + m.asText() + "'; expected two tokens separated by one space");
        }
        vocab.merge(parts[0], parts[1], where);
      } else if (m.isArray() && m.size() == 2 && m.get(0).isTextual() && m.get(1).isTextual()) {
        vocab.merge(m.get(0).asText(), m.get(1).asText(), where);
      } else {
        throw new TokenizerException(where + " is " + m + "; expected \"a b\" or [\"a\", \"b\"]");
      }
    }
    BpeModel bpe = vocab.build(model.path("ignore_merges").asBoolean(false));

    List<AddedToken> added = new ArrayList<>();
    JsonNode at = root.path("added_tokens");
    if (!at.isMissingNode() && !at.isNull() && !at.isArray()) throw fail("added_tokens", at, "a list");
    for (int i = 0; i < at.size(); i++) {
      AddedToken t = addedToken(at.get(i), name + " added_tokens[" + i + "]");
      checkAgainstVocabulary(t, vocab, name + " added_tokens[" + i + "]");
      added.add(t);
    }
    config.mergeAddedTokens(added, vocab);
    List<Integer> prefix = new ArrayList<>(), suffix = new ArrayList<>();
    postProcessor(root.get("post_processor"), "post_processor", prefix, suffix);
    return new ByteLevelBpe(bpe, normalization, new PreTokenizer(steps), added,
        prefix.stream().mapToInt(Integer::intValue).toArray(), suffix.stream().mapToInt(Integer::intValue).toArray(),
        config.config(), name);
  }

  private void checkModel(JsonNode model) {
    String type = model.path("type").asText("");
    if (!type.equals("BPE")) throw fail("model.type", model.get("type"), "'BPE'" + ONLY);
    if (model.path("byte_fallback").asBoolean(false)) {
      throw new TokenizerException(name + ": model.byte_fallback is true: this is SentencePiece-style BPE (Llama 2, "
          + "Mistral), not byte-level BPE" + ONLY);
    }
    for (String f : List.of("continuing_subword_prefix", "end_of_word_suffix")) {
      JsonNode n = model.get(f);
      if (n != null && !n.isNull() && !n.asText().isEmpty()) throw fail("model." + f, n, "empty or null" + ONLY);
    }
    JsonNode dropout = model.get("dropout");
    if (dropout != null && !dropout.isNull()) throw fail("model.dropout", dropout, "null (no BPE dropout)");
  }

  private ByteLevelBpe.Normalization normalizer(JsonNode n, String field) {
    if (n == null || n.isNull()) return ByteLevelBpe.Normalization.NONE;
    String type = n.path("type").asText("");
    switch (type) {
      case "NFC":
        return ByteLevelBpe.Normalization.NFC;
      case "Sequence": {
        ByteLevelBpe.Normalization result = ByteLevelBpe.Normalization.NONE;
        JsonNode list = n.path("normalizers");
        for (int i = 0; i < list.size(); i++) {
          if (normalizer(list.get(i), field + ".normalizers[" + i + "]") == ByteLevelBpe.Normalization.NFC) {
            result = ByteLevelBpe.Normalization.NFC;
          }
        }
        return result;
      }
      default:
        throw fail(field + ".type", n.get("type"), "null, NFC or a Sequence of them" + ONLY);
    }
  }

  private void preTokenizer(JsonNode n, String field, List<PreTokenizer.Step> steps, boolean top) {
    if (n == null || n.isNull()) throw fail(field, n, "ByteLevel, or a Sequence of Split and ByteLevel" + ONLY);
    String type = n.path("type").asText("");
    switch (type) {
      case "ByteLevel" -> {
        if (n.path("add_prefix_space").asBoolean(false)) steps.add(new PreTokenizer.Step.PrefixSpace());
        if (n.path("use_regex").asBoolean(true)) steps.add(PreTokenizer.Step.Split.of(PreTokenizer.GPT2_REGEX));
      }
      case "Sequence" -> {
        if (!top) throw fail(field + ".type", n.get("type"), "Split or ByteLevel inside a Sequence");
        JsonNode list = n.path("pretokenizers");
        for (int i = 0; i < list.size(); i++) preTokenizer(list.get(i), field + ".pretokenizers[" + i + "]", steps, false);
        JsonNode last = list.size() > 0 ? list.get(list.size() - 1) : null;
        if (last == null || !last.path("type").asText("").equals("ByteLevel")) {
          throw fail(field + ".pretokenizers", list, "a list ending with ByteLevel" + ONLY);
        }
      }
      case "Split" -> {
        JsonNode regex = n.path("pattern").path("Regex");
        JsonNode literal = n.path("pattern").path("String");
        String behavior = n.path("behavior").asText("");
        if (!behavior.equals("Isolated")) throw fail(field + ".behavior", n.get("behavior"), "'Isolated'");
        if (n.path("invert").asBoolean(false)) throw fail(field + ".invert", n.get("invert"), "false");
        try {
          if (regex.isTextual()) steps.add(PreTokenizer.Step.Split.of(regex.asText()));
          else if (literal.isTextual()) steps.add(PreTokenizer.Step.Split.of(java.util.regex.Pattern.quote(literal.asText())));
          else throw fail(field + ".pattern", n.get("pattern"), "{\"Regex\": ...} or {\"String\": ...}");
        } catch (java.util.regex.PatternSyntaxException e) {
          throw new TokenizerException(name + ": " + field + ".pattern is not a regex Java can compile: "
              + e.getDescription());
        }
      }
      default -> throw fail(field + ".type", n.get("type"), "ByteLevel, or a Sequence of Split and ByteLevel" + ONLY);
    }
  }

  private void checkDecoder(JsonNode n) {
    if (n == null || n.isNull() || !n.path("type").asText("").equals("ByteLevel")) {
      throw fail("decoder" + (n != null && n.has("type") ? ".type" : ""), n != null && n.has("type") ? n.get("type") : n,
          "ByteLevel" + ONLY);
    }
  }

  private void postProcessor(JsonNode n, String field, List<Integer> prefix, List<Integer> suffix) {
    if (n == null || n.isNull()) return;
    String type = n.path("type").asText("");
    switch (type) {
      case "ByteLevel" -> { }
      case "Sequence" -> {
        JsonNode list = n.path("processors");
        for (int i = 0; i < list.size(); i++) postProcessor(list.get(i), field + ".processors[" + i + "]", prefix, suffix);
      }
      case "TemplateProcessing" -> {
        JsonNode single = n.path("single");
        JsonNode specials = n.path("special_tokens");
        boolean seenText = false;
        for (int i = 0; i < single.size(); i++) {
          JsonNode piece = single.get(i);
          if (piece.has("Sequence")) {
            if (seenText) throw fail(field + ".single", single, "one $A");
            seenText = true;
          } else if (piece.has("SpecialToken")) {
            String key = piece.path("SpecialToken").path("id").asText();
            JsonNode ids = specials.path(key).path("ids");
            if (!ids.isArray() || ids.isEmpty()) {
              throw fail(field + ".special_tokens['" + key + "']", specials.get(key), "an entry with ids");
            }
            for (JsonNode id : ids) (seenText ? suffix : prefix).add(id.asInt());
          } else {
            throw fail(field + ".single[" + i + "]", piece, "a SpecialToken or the Sequence $A");
          }
        }
        if (!seenText) throw fail(field + ".single", single, "a template containing $A");
      }
      default -> throw fail(field + ".type", n.get("type"), "null, ByteLevel, TemplateProcessing or a Sequence of them");
    }
  }

  private AddedToken addedToken(JsonNode n, String where) {
    if (!n.path("id").canConvertToInt() || !n.path("content").isTextual() || n.path("content").asText().isEmpty()) {
      throw new TokenizerException(where + " is " + n + "; expected an object with an integer id and non-empty content");
    }
    return new AddedToken(n.get("id").asInt(), n.get("content").asText(), n.path("special").asBoolean(false),
        n.path("single_word").asBoolean(false), n.path("lstrip").asBoolean(false), n.path("rstrip").asBoolean(false),
        n.path("normalized").asBoolean(false));
  }

  /** An added token whose id is a vocabulary token must spell the same token. */
  static void checkAgainstVocabulary(AddedToken t, VocabularyBuilder vocab, String where) {
    String existing = vocab.token(t.id());
    if (existing != null && !existing.equals(t.content())) {
      throw new TokenizerException(where + ": id " + t.id() + " ('" + t.content() + "') is already the vocabulary's id of '"
          + existing + "'; expected the same content or a new id");
    }
  }

  private TokenizerException fail(String field, JsonNode value, String expected) {
    return new TokenizerException(name + ": " + field + " is " + Json.describe(value) + "; expected " + expected);
  }
}
