package lmlab.train;

import java.util.List;
import lmlab.models.LanguageModel;

/** Test access to the trainer's package-private helpers. */
public final class TrainerAccess {
  private TrainerAccess() {}

  public static List<String> linearWeights(LanguageModel model) {
    return TrainStep.linearWeights(model, model.trainableParameters());
  }
}
