package lmlab.models;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import lmlab.nn.Embedding;
import lmlab.nn.Linear;
import lmlab.nn.RNN;
import lmlab.tensor.IntTensor;
import lmlab.tensor.Rng;
import lmlab.tensor.Tensor;

/**
 * The {@code rnn-lm} of models.md: {@code embedding} (V, d_e) → {@code rnn}, L stacked Elman
 * recurrences ({@code rnn.layers.{l}.W_hx}, {@code W_hh}, {@code b_h} when bias) with the configured
 * activation and inter-layer dropout → {@code classifier} Linear(d_h, V) with bias. Forward returns
 * logits (B, S, V) and the final states in the extra {@code h_n} (L, B, d_h); on request hidden
 * states (B, L, S, d_h).
 */
public final class RnnLm extends LanguageModel {
  private final RecurrentLmConfig config;
  private final Embedding embedding;
  private final RNN rnn;
  private final Linear classifier;

  public RnnLm(RecurrentLmConfig config, Rng rng) {
    if (!RecurrentLmConfig.RNN_LM.equals(config.modelType())) {
      throw new IllegalArgumentException("RnnLm needs model_type \"rnn-lm\", got \"" + config.modelType() + "\"");
    }
    this.config = config;
    this.embedding = child("embedding", new Embedding(config.vocabSize(), config.embeddingSize(), rng));
    this.rnn = child("rnn", new RNN(config.embeddingSize(), config.hiddenSize(), config.numHiddenLayers(),
        config.dropout(), config.bias(), config.activation(), rng));
    this.classifier = child("classifier", new Linear(config.hiddenSize(), config.vocabSize(), true, rng));
  }

  /** From a config.json object (validated by {@link RecurrentLmConfig#parse}). */
  public static RnnLm fromConfig(JsonNode json, Rng rng) {
    RecurrentLmConfig c = RecurrentLmConfig.parse(json);
    if (!RecurrentLmConfig.RNN_LM.equals(c.modelType())) {
      throw new IllegalArgumentException("config: model_type must be \"rnn-lm\" for RnnLm, got \"" + c.modelType() + "\"");
    }
    return new RnnLm(c, rng);
  }

  @Override
  public Output forward(IntTensor tokens, Request request) {
    return forward(tokens, null, request);
  }

  /** Runs from the state h0 (L, B, d_h), zeros when null; passing h_n back in continues the sequence. */
  public Output forward(IntTensor tokens, Tensor h0, Request request) {
    checkTokens("rnn-lm", tokens, config.vocabSize());
    if (request.attentions()) throw new IllegalArgumentException("rnn-lm has no attention weights to return");
    Tensor x = embedding.forward(tokens);
    RNN.Result r = rnn.forward(x, h0);
    Tensor logits = classifier.forward(r.out());
    Map<String, Tensor> extras = new LinkedHashMap<>();
    extras.put("h_n", r.hN());
    Tensor hidden = request.hiddenStates() ? Tensor.stack(r.layerOutputs(), 1) : null;
    return new Output(logits, hidden, null, extras);
  }

  /** Zero recurrent states for rows sequences (one state for the whole stack, see nn.RecurrentState). */
  @Override
  public ModelState newState(int rows) {
    classifier.checkSteps();
    return new ModelState(List.of(rnn.newState(rows)), rows);
  }

  /** embedding → rnn step (the state's (h) per layer) → classifier, on the state's buffers, no autograd. */
  @Override
  public float[] step(ModelState state, int[] tokens, int tokensPerRow) {
    checkStep("rnn-lm", state, tokens, tokensPerRow, config.vocabSize());
    return RecurrentLmStep.run(this, config, embedding, rnn::step, classifier, state, tokens, tokensPerRow);
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

  public RNN rnn() {
    return rnn;
  }

  public Linear classifier() {
    return classifier;
  }
}
