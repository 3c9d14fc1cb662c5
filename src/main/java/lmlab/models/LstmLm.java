package lmlab.models;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import lmlab.nn.Embedding;
import lmlab.nn.LSTM;
import lmlab.nn.Linear;
import lmlab.tensor.IntTensor;
import lmlab.tensor.Rng;
import lmlab.tensor.Tensor;

/**
 * The {@code lstm-lm} of models.md: {@code embedding} (V, d_e) → {@code lstm} LSTM(d_e, d_h, L,
 * dropout, bias) → {@code classifier} Linear(d_h, V) with bias. Forward returns logits (B, S, V) and
 * the final states in the extras {@code h_n}, {@code c_n} (L, B, d_h); on request hidden states
 * (B, L, S, d_h), every layer's outputs.
 */
public final class LstmLm extends LanguageModel {
  private final RecurrentLmConfig config;
  private final Embedding embedding;
  private final LSTM lstm;
  private final Linear classifier;

  public LstmLm(RecurrentLmConfig config, Rng rng) {
    if (!RecurrentLmConfig.LSTM_LM.equals(config.modelType())) {
      throw new IllegalArgumentException("LstmLm needs model_type \"lstm-lm\", got \"" + config.modelType() + "\"");
    }
    this.config = config;
    this.embedding = child("embedding", new Embedding(config.vocabSize(), config.embeddingSize(), rng));
    this.lstm = child("lstm", new LSTM(config.embeddingSize(), config.hiddenSize(), config.numHiddenLayers(),
        config.dropout(), config.bias(), rng));
    this.classifier = child("classifier", new Linear(config.hiddenSize(), config.vocabSize(), true, rng));
  }

  /** From a config.json object (validated by {@link RecurrentLmConfig#parse}). */
  public static LstmLm fromConfig(JsonNode json, Rng rng) {
    RecurrentLmConfig c = RecurrentLmConfig.parse(json);
    if (!RecurrentLmConfig.LSTM_LM.equals(c.modelType())) {
      throw new IllegalArgumentException("config: model_type must be \"lstm-lm\" for LstmLm, got \"" + c.modelType() + "\"");
    }
    return new LstmLm(c, rng);
  }

  @Override
  public Output forward(IntTensor tokens, Request request) {
    return forward(tokens, null, null, request);
  }

  /**
   * Runs from the state (h0, c0) (L, B, d_h), zeros when null: feeding the h_n, c_n of one call
   * into the next continues the sequence (incremental decoding).
   */
  public Output forward(IntTensor tokens, Tensor h0, Tensor c0, Request request) {
    checkTokens("lstm-lm", tokens, config.vocabSize());
    if (request.attentions()) throw new IllegalArgumentException("lstm-lm has no attention weights to return");
    Tensor x = embedding.forward(tokens);
    LSTM.Result r = lstm.forward(x, h0, c0);
    Tensor logits = classifier.forward(r.out());
    Map<String, Tensor> extras = new LinkedHashMap<>();
    extras.put("h_n", r.hN());
    extras.put("c_n", r.cN());
    Tensor hidden = request.hiddenStates() ? Tensor.stack(r.layerOutputs(), 1) : null;
    return new Output(logits, hidden, null, extras);
  }

  /** Zero recurrent states for rows sequences (one state for the whole stack, see nn.RecurrentState). */
  @Override
  public ModelState newState(int rows) {
    classifier.checkSteps();
    return new ModelState(List.of(lstm.newState(rows)), rows);
  }

  /** embedding → lstm step (the state's (h, c) per layer) → classifier, on the state's buffers, no autograd. */
  @Override
  public float[] step(ModelState state, int[] tokens, int tokensPerRow) {
    checkStep("lstm-lm", state, tokens, tokensPerRow, config.vocabSize());
    return RecurrentLmStep.run(this, config, embedding, lstm::step, classifier, state, tokens, tokensPerRow);
  }

  @Override
  public int vocabSize() {
    return config.vocabSize();
  }

  @Override
  public ObjectNode config() {
    return config.toJson();
  }

  public RecurrentLmConfig lmConfig() {
    return config;
  }

  public Embedding embedding() {
    return embedding;
  }

  public LSTM lstm() {
    return lstm;
  }

  public Linear classifier() {
    return classifier;
  }
}
