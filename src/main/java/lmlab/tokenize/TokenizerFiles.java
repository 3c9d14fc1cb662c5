package lmlab.tokenize;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Reads the tokenizer of a directory (usually a checkpoint directory). The first layout present
 * wins (tokenizers.md): {@code tokenizer.json}; a character {@code vocab.json}
 * ({@code "type": "char"}); {@code vocab.json} + {@code merges.txt}. {@code tokenizer_config.json},
 * {@code special_tokens_map.json} and {@code added_tokens.json} add special tokens, bos/eos/pad
 * and the chat template; {@link Tokenizer#describe} names the layout used.
 */
public final class TokenizerFiles {
  private TokenizerFiles() {}

  /** True when dir holds a file of one of the layouts. */
  public static boolean present(Path dir) {
    return Files.isRegularFile(dir.resolve("tokenizer.json")) || Files.isRegularFile(dir.resolve("vocab.json"));
  }

  public static Tokenizer load(Path dir) {
    if (!Files.isDirectory(dir)) throw new TokenizerException(dir + ": not a directory; expected a tokenizer directory");
    Path json = dir.resolve("tokenizer.json");
    if (Files.isRegularFile(json)) return TokenizerJsonReader.read(json, new ConfigFiles(dir, false));
    Path vocab = dir.resolve("vocab.json");
    Path merges = dir.resolve("merges.txt");
    if (Files.isRegularFile(vocab)) {
      JsonNode root = Json.read(vocab);
      if (root.isObject() && root.path("type").isTextual() && root.has("chars")) {
        return CharTokenizer.fromJson(root, vocab.toString());
      }
      if (Files.isRegularFile(merges)) return readGptFiles(dir, vocab, root, merges);
      throw new TokenizerException(dir + ": vocab.json without merges.txt; expected tokenizer.json, vocab.json + "
          + "merges.txt, or a character vocab.json ({\"type\": \"char\", ...})");
    }
    throw new TokenizerException(dir + ": no tokenizer files; looked for tokenizer.json, vocab.json + merges.txt, "
        + "and a character vocab.json");
  }

  private static ByteLevelBpe readGptFiles(Path dir, Path vocabFile, JsonNode root, Path mergesFile) {
    String vocabName = vocabFile.toString();
    if (!root.isObject()) throw new TokenizerException(vocabName + ": expected a JSON object of token → id");
    VocabularyBuilder vocab = new VocabularyBuilder(vocabName, "vocab.json");
    for (Iterator<Map.Entry<String, JsonNode>> it = root.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      if (!e.getValue().canConvertToInt()) {
        throw new TokenizerException(vocabName + ": '" + e.getKey() + "' is " + e.getValue() + "; expected an integer id");
      }
      vocab.add(e.getKey(), e.getValue().asInt());
    }
    vocab.checkByteSymbols();
    List<String> lines;
    try {
      lines = List.of(new String(Files.readAllBytes(mergesFile), StandardCharsets.UTF_8).split("\n", -1));
    } catch (IOException e) {
      throw new TokenizerException(mergesFile + ": cannot read: " + e.getMessage(), e);
    }
    for (int i = 0; i < lines.size(); i++) {
      String line = lines.get(i);
      if (line.endsWith("\r")) line = line.substring(0, line.length() - 1);
      if (line.isEmpty() || line.startsWith("#version")) continue;
      String where = mergesFile + " line " + (i + 1);
      String[] parts = line.split(" ", -1);
      if (parts.length != 2 || parts[0].isEmpty() || parts[1].isEmpty()) {
        throw new TokenizerException(where + ": '" + line + "' is not two tokens separated by one space");
      }
      vocab.merge(parts[0], parts[1], where);
    }
    BpeModel model = vocab.build(false);
    ConfigFiles config = new ConfigFiles(dir, true);
    boolean qwen = config.config().tokenizerClass().map(c -> c.equals("Qwen2Tokenizer")).orElse(false);
    List<AddedToken> added = new ArrayList<>();
    config.mergeAddedTokens(added, vocab);
    TokenizerConfig cfg = config.config();
    int[] prefix = new int[0];
    if (cfg.addBosToken() && cfg.bosToken().isPresent()) {
      Integer bos = idOf(cfg.bosToken().get(), added, vocab);
      if (bos != null) prefix = new int[] {bos};
    }
    return new ByteLevelBpe(model, qwen ? ByteLevelBpe.Normalization.NFC : ByteLevelBpe.Normalization.NONE,
        qwen ? PreTokenizer.qwen2() : PreTokenizer.gpt2(), added, prefix, new int[0], cfg,
        vocabFile + " + merges.txt" + (qwen ? ", Qwen2Tokenizer" : ""));
  }

  private static Integer idOf(String token, List<AddedToken> added, VocabularyBuilder vocab) {
    for (AddedToken t : added) if (t.content().equals(token)) return t.id();
    return vocab.id(token);
  }

  /**
   * tokenizer_config.json, special_tokens_map.json, added_tokens.json and chat_template.jinja of
   * a directory, each optional; the config takes precedence over the special-tokens map.
   */
  static final class ConfigFiles {
    private static final List<String> SPECIAL_KEYS = List.of("bos_token", "eos_token", "unk_token", "pad_token",
        "sep_token", "cls_token", "mask_token");

    private final Path dir;
    private final JsonNode config;
    private final JsonNode specialMap;
    private final JsonNode addedJson;
    private final boolean gptFiles;
    private final TokenizerConfig parsed;

    ConfigFiles(Path dir, boolean gptFiles) {
      this.dir = dir;
      this.gptFiles = gptFiles;
      this.config = readIfPresent(dir.resolve("tokenizer_config.json"));
      this.specialMap = readIfPresent(dir.resolve("special_tokens_map.json"));
      this.addedJson = readIfPresent(dir.resolve("added_tokens.json"));
      this.parsed = parse();
    }

    private static JsonNode readIfPresent(Path file) {
      return Files.isRegularFile(file) ? Json.read(file) : null;
    }

    TokenizerConfig config() {
      return parsed;
    }

    /** A special token string from the config, else the special-tokens map; GPT-2's defaults for bare files. */
    private Optional<String> special(String key) {
      if (config != null && config.has(key)) return Optional.ofNullable(Json.tokenString(config.get(key)));
      if (specialMap != null && specialMap.has(key)) return Optional.ofNullable(Json.tokenString(specialMap.get(key)));
      // GPT2Tokenizer's defaults: <|endoftext|> is bos, eos and unk.
      if (gptFiles && !classNamed() && List.of("bos_token", "eos_token", "unk_token").contains(key)) {
        return Optional.of("<|endoftext|>");
      }
      return Optional.empty();
    }

    private boolean classNamed() {
      return config != null && config.path("tokenizer_class").isTextual()
          && !config.path("tokenizer_class").asText().startsWith("GPT2");
    }

    private TokenizerConfig parse() {
      Optional<String> cls = config != null && config.path("tokenizer_class").isTextual()
          ? Optional.of(config.get("tokenizer_class").asText()) : Optional.empty();
      return new TokenizerConfig(special("bos_token"), special("eos_token"), special("pad_token"),
          config != null && config.path("add_bos_token").asBoolean(false), cls, chatTemplate());
    }

    private Optional<String> chatTemplate() {
      JsonNode t = config != null ? config.get("chat_template") : null;
      if (t != null && t.isTextual()) return Optional.of(t.asText());
      if (t != null && t.isArray()) {
        for (JsonNode named : t) {
          if (named.path("name").asText("").equals("default") && named.path("template").isTextual()) {
            return Optional.of(named.get("template").asText());
          }
        }
        throw new TokenizerException(dir.resolve("tokenizer_config.json") + ": chat_template is a list without a "
            + "'default' entry; expected a string or a list holding {\"name\": \"default\", \"template\": ...}");
      }
      Path jinja = dir.resolve("chat_template.jinja");
      if (Files.isRegularFile(jinja)) {
        try {
          return Optional.of(Files.readString(jinja));
        } catch (IOException e) {
          throw new TokenizerException(jinja + ": cannot read: " + e.getMessage(), e);
        }
      }
      return Optional.empty();
    }

    /**
     * Adds to added (the tokens the model file declares) the config's added_tokens_decoder, the
     * tokens of added_tokens.json, and the special tokens (bos, eos, ..., additional) that are
     * vocabulary tokens, each checked against the vocabulary.
     */
    void mergeAddedTokens(List<AddedToken> added, VocabularyBuilder vocab) {
      Path configFile = dir.resolve("tokenizer_config.json");
      JsonNode decoder = config != null ? config.get("added_tokens_decoder") : null;
      if (decoder != null && decoder.isObject()) {
        for (Iterator<Map.Entry<String, JsonNode>> it = decoder.fields(); it.hasNext(); ) {
          Map.Entry<String, JsonNode> e = it.next();
          String where = configFile + " added_tokens_decoder['" + e.getKey() + "']";
          JsonNode n = e.getValue();
          int id;
          try {
            id = Integer.parseInt(e.getKey());
          } catch (NumberFormatException ex) {
            throw new TokenizerException(where + ": expected an integer id as the key");
          }
          if (!n.path("content").isTextual() || n.path("content").asText().isEmpty()) {
            throw new TokenizerException(where + " is " + n + "; expected an object with non-empty content");
          }
          AddedToken t = new AddedToken(id, n.get("content").asText(), n.path("special").asBoolean(false),
              n.path("single_word").asBoolean(false), n.path("lstrip").asBoolean(false),
              n.path("rstrip").asBoolean(false), n.path("normalized").asBoolean(false));
          addChecked(t, added, vocab, where);
        }
      }
      if (addedJson != null && addedJson.isObject()) {
        Path file = dir.resolve("added_tokens.json");
        for (Iterator<Map.Entry<String, JsonNode>> it = addedJson.fields(); it.hasNext(); ) {
          Map.Entry<String, JsonNode> e = it.next();
          if (!e.getValue().canConvertToInt()) {
            throw new TokenizerException(file + ": '" + e.getKey() + "' is " + e.getValue() + "; expected an integer id");
          }
          addChecked(new AddedToken(e.getValue().asInt(), e.getKey(), false, false, false, false, false), added, vocab,
              file + " '" + e.getKey() + "'");
        }
      }
      List<String> specials = new ArrayList<>();
      for (String key : SPECIAL_KEYS) special(key).ifPresent(specials::add);
      for (JsonNode src : new JsonNode[] {specialMap, config}) {
        if (src != null && src.path("additional_special_tokens").isArray()) {
          for (JsonNode s : src.get("additional_special_tokens")) {
            String c = Json.tokenString(s);
            if (c != null) specials.add(c);
          }
        }
      }
      for (String s : specials) {
        if (added.stream().anyMatch(t -> t.content().equals(s))) continue;
        Integer id = vocab.id(s);
        if (id != null) added.add(AddedToken.special(id, s));
      }
    }

    private static void addChecked(AddedToken t, List<AddedToken> added, VocabularyBuilder vocab, String where) {
      for (AddedToken other : added) {
        if (other.id() == t.id()) {
          if (!other.content().equals(t.content())) {
            throw new TokenizerException(where + ": id " + t.id() + " ('" + t.content() + "') is already the added "
                + "token '" + other.content() + "'; expected the same content");
          }
          return;
        }
      }
      TokenizerJsonReader.checkAgainstVocabulary(t, vocab, where);
      added.add(t);
    }
  }
}
