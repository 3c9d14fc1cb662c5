package lmlab.models;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Iterator;
import java.util.Set;
import lmlab.nn.Activation;
import lmlab.tensor.Rng;

/**
 * The config.json of a recurrent language model (conventions.md): {@code model_type}
 * ("lstm-lm" or "rnn-lm"), {@code vocab_size}, {@code embedding_size} (d_e), {@code hidden_size}
 * (d_h), {@code num_hidden_layers} (L), {@code bias} (the gates' or b_h biases; the classifier
 * always has one), {@code dropout}, and for "rnn-lm" {@code activation}. Defaults: L 2,
 * d_e = d_h = 128, bias on, dropout 0, activation tanh; vocab_size has none.
 *
 * @param activation the Elman activation for "rnn-lm"; null for "lstm-lm"
 */
public record RecurrentLmConfig(String modelType, int vocabSize, int embeddingSize, int hiddenSize,
    int numHiddenLayers, boolean bias, double dropout, Activation activation) implements ModelConfig {
  public static final String LSTM_LM = "lstm-lm";
  public static final String RNN_LM = "rnn-lm";
  public static final int DEFAULT_SIZE = 128;
  public static final int DEFAULT_LAYERS = 2;

  private static final Set<String> COMMON_KEYS =
      Set.of("model_type", "vocab_size", "embedding_size", "hidden_size", "num_hidden_layers", "bias", "dropout");

  /** Validates every field; an error names the config key. */
  public RecurrentLmConfig {
    if (!LSTM_LM.equals(modelType) && !RNN_LM.equals(modelType)) {
      throw new IllegalArgumentException(
          "config: model_type must be \"" + LSTM_LM + "\" or \"" + RNN_LM + "\", got " + quote(modelType));
    }
    positive("vocab_size", vocabSize);
    positive("embedding_size", embeddingSize);
    positive("hidden_size", hiddenSize);
    positive("num_hidden_layers", numHiddenLayers);
    if (!(dropout >= 0 && dropout < 1)) {
      throw new IllegalArgumentException("config: dropout must be in [0, 1), got " + dropout);
    }
    if (RNN_LM.equals(modelType) && activation == null) activation = Activation.TANH;
    if (LSTM_LM.equals(modelType) && activation != null) {
      throw new IllegalArgumentException("config: activation is an rnn-lm key; an lstm-lm has none");
    }
  }

  /** An lstm-lm with the given vocabulary and the defaults (L 2, d_e = d_h = 128, bias, no dropout). */
  public static RecurrentLmConfig lstmLm(int vocabSize) {
    return new RecurrentLmConfig(LSTM_LM, vocabSize, DEFAULT_SIZE, DEFAULT_SIZE, DEFAULT_LAYERS, true, 0.0, null);
  }

  /** An rnn-lm (tanh) with the given vocabulary and the defaults. */
  public static RecurrentLmConfig rnnLm(int vocabSize) {
    return new RecurrentLmConfig(RNN_LM, vocabSize, DEFAULT_SIZE, DEFAULT_SIZE, DEFAULT_LAYERS, true, 0.0,
        Activation.TANH);
  }

  /**
   * Parses a config.json object. model_type and vocab_size are required, the other keys default;
   * an unknown key, a value of the wrong type or out of range is an error naming the key.
   */
  public static RecurrentLmConfig parse(JsonNode json) {
    if (json == null || !json.isObject()) {
      throw new IllegalArgumentException("config: expected a JSON object, got " + (json == null ? "nothing" : json.getNodeType()));
    }
    JsonNode typeNode = json.get("model_type");
    if (typeNode == null) throw new IllegalArgumentException("config: model_type is missing (\"lstm-lm\" or \"rnn-lm\")");
    if (!typeNode.isTextual()) throw new IllegalArgumentException("config: model_type must be a string, got " + typeNode);
    String type = typeNode.asText();
    if (!LSTM_LM.equals(type) && !RNN_LM.equals(type)) {
      throw new IllegalArgumentException(
          "config: model_type must be \"" + LSTM_LM + "\" or \"" + RNN_LM + "\", got \"" + type + "\"");
    }
    boolean rnn = RNN_LM.equals(type);
    for (Iterator<String> it = json.fieldNames(); it.hasNext(); ) {
      String key = it.next();
      if (!COMMON_KEYS.contains(key) && !(rnn && key.equals("activation"))) {
        String hint = key.equals("activation") ? " (activation is an rnn-lm key)" : "";
        throw new IllegalArgumentException("config: unknown key '" + key + "' for model_type \"" + type + "\"" + hint
            + "; valid keys: model_type, vocab_size, embedding_size, hidden_size, num_hidden_layers, bias, dropout"
            + (rnn ? ", activation" : ""));
      }
    }
    if (!json.has("vocab_size")) throw new IllegalArgumentException("config: vocab_size is missing");
    int vocab = intField(json, "vocab_size", -1);
    int embedding = intField(json, "embedding_size", DEFAULT_SIZE);
    int hidden = intField(json, "hidden_size", DEFAULT_SIZE);
    int layers = intField(json, "num_hidden_layers", DEFAULT_LAYERS);
    boolean bias = true;
    if (json.has("bias")) {
      JsonNode b = json.get("bias");
      if (!b.isBoolean()) throw new IllegalArgumentException("config: bias must be true or false, got " + b);
      bias = b.booleanValue();
    }
    double dropout = 0.0;
    if (json.has("dropout")) {
      JsonNode d = json.get("dropout");
      if (!d.isNumber()) throw new IllegalArgumentException("config: dropout must be a number in [0, 1), got " + d);
      dropout = d.doubleValue();
    }
    Activation activation = null;
    if (rnn) {
      activation = Activation.TANH;
      if (json.has("activation")) {
        JsonNode a = json.get("activation");
        if (!a.isTextual()) throw new IllegalArgumentException("config: activation must be a string, got " + a);
        try {
          activation = Activation.fromName(a.asText());
        } catch (IllegalArgumentException e) {
          throw new IllegalArgumentException("config: activation: " + e.getMessage(), e);
        }
      }
    }
    return new RecurrentLmConfig(type, vocab, embedding, hidden, layers, bias, dropout, activation);
  }

  /** Every key written explicitly, in the order of conventions.md. */
  @Override
  public ObjectNode toJson() {
    ObjectNode o = JsonNodeFactory.instance.objectNode();
    o.put("model_type", modelType);
    o.put("vocab_size", vocabSize);
    o.put("embedding_size", embeddingSize);
    o.put("hidden_size", hiddenSize);
    o.put("num_hidden_layers", numHiddenLayers);
    o.put("bias", bias);
    o.put("dropout", dropout);
    if (activation != null) o.put("activation", activation.configName());
    return o;
  }

  /** A freshly initialised model of this configuration: an {@link LstmLm} or an {@link RnnLm}. */
  public LanguageModel newModel(Rng rng) {
    return LSTM_LM.equals(modelType) ? new LstmLm(this, rng) : new RnnLm(this, rng);
  }

  /**
   * The parameter count of the model this configuration builds, counted on the built model (the
   * closed form of models.md is the analyser's, lmlab.analysis.RecurrentLmArch).
   */
  public long expectedParameters() {
    return newModel(new Rng(0)).numParameters();
  }

  private static int intField(JsonNode json, String key, int fallback) {
    JsonNode n = json.get(key);
    if (n == null) return fallback;
    if (!n.isIntegralNumber() || !n.canConvertToInt()) {
      throw new IllegalArgumentException("config: " + key + " must be an integer, got " + n);
    }
    return n.intValue();
  }

  private static void positive(String key, int value) {
    if (value < 1) throw new IllegalArgumentException("config: " + key + " must be >= 1, got " + value);
  }

  private static String quote(String s) {
    return s == null ? "null" : "\"" + s + "\"";
  }
}
