package lmlab.report;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/**
 * Hand-written run directories in the layout lmlab train writes (config.json, metrics.jsonl,
 * summary.json), with smooth grokking-like curves that depend on the settings and seed, so
 * figures and tables have something to show without training.
 */
public final class RunFixtures {
  private RunFixtures() {}

  /** Settings of one fake run. */
  public record Spec(String task, String preset, int layers, int d, double rTrain, int batch, double wd, int seed, int steps,
      int evalPeriod, boolean finished, int lastStep, boolean orders) {
    public Spec(String task, String preset, int layers, int d, double rTrain, int batch, double wd, int seed, int steps,
        int evalPeriod, boolean finished, int lastStep) {
      this(task, preset, layers, d, rTrain, batch, wd, seed, steps, evalPeriod, finished, lastStep, false);
    }

    public static Spec of(String preset, double rTrain, int seed) {
      return new Spec("arithmetic", preset, 2, 128, rTrain, 512, 1.0, seed, 1001, 100, true, 1000);
    }

    public Spec withOrders() {
      return new Spec(task, preset, layers, d, rTrain, batch, wd, seed, steps, evalPeriod, finished, lastStep, true);
    }

    public Spec task(String t) {
      return new Spec(t, preset, layers, d, rTrain, batch, wd, seed, steps, evalPeriod, finished, lastStep);
    }

    public Spec unfinished(int last) {
      return new Spec(task, preset, layers, d, rTrain, batch, wd, seed, steps, evalPeriod, false, last);
    }

    public Spec size(int l, int dm) {
      return new Spec(task, preset, l, dm, rTrain, batch, wd, seed, steps, evalPeriod, finished, lastStep);
    }

    public Spec batch(int b) {
      return new Spec(task, preset, layers, d, rTrain, b, wd, seed, steps, evalPeriod, finished, lastStep);
    }

    public Spec weightDecay(double w) {
      return new Spec(task, preset, layers, d, rTrain, batch, w, seed, steps, evalPeriod, finished, lastStep);
    }
  }

  /** Writes the run into dir (created). */
  public static Path write(Path dir, Spec s) throws IOException {
    Files.createDirectories(dir);
    Files.writeString(dir.resolve("config.json"), """
        {"name": "%s", "model": {"preset": "%s", "overrides": {"vocab_size": "39"},
          "config": %s},
         "task": {"name": "%s", "p": 31, "q": 31, "operator": "+", "orders": %s, "r_train": %s, "seed": %d,
          "loss_on": "rhs"},
         "train": {"steps": %d, "batch_size": %d, "eval_period": %d, "seed": %d, "lr": 0.001, "weight_decay": %s},
         "threads": 1}
        """.formatted(dir.getFileName(), s.preset(), modelConfig(s), s.task(), s.orders() ? "[2, 3]" : "[2]", num(s.rTrain()), s.seed(), s.steps(),
        s.batch(), s.evalPeriod(), s.seed(), num(s.wd())));
    StringBuilder m = new StringBuilder();
    double speed = s.rTrain() * (s.preset().equals("gpt") ? 1.0 : 1.3) * (1 + 0.1 * (s.seed() % 7)) * s.d() / 128.0;
    for (int t = 0; t <= s.lastStep(); t += s.evalPeriod()) {
      double u = t / (double) (s.steps() - 1);
      double trainLoss = 3.6 * Math.exp(-8 * u * speed) + 1e-4;
      double valLoss = 3.6 * Math.exp(-3 * u * speed * s.rTrain()) + 0.02 / s.rTrain() * Math.exp(-u);
      double trainAcc = Math.min(1, 1 - Math.exp(-6 * u * speed));
      double valAcc = Math.min(1, 1 / (1 + Math.exp(-12 * (u * speed - 0.5))));
      double norm = 80 - 20 * u * s.wd();
      String perOrder = "";
      if (s.orders()) {
        perOrder = String.format(Locale.ROOT,
            ",\"train_loss_order2\":%s,\"train_acc_order2\":%s,\"val_loss_order2\":%s,\"val_acc_order2\":%s"
                + ",\"train_loss_order3\":%s,\"train_acc_order3\":%s,\"val_loss_order3\":%s,\"val_acc_order3\":%s",
            trainLoss * 0.8, trainAcc, valLoss * 0.7, Math.min(1, valAcc * 1.1), trainLoss * 1.2, trainAcc * 0.9, valLoss * 1.3,
            valAcc * 0.8);
      }
      m.append(String.format(Locale.ROOT,
          "{\"step\":%d,\"train_loss\":%s,\"train_acc\":%s,\"val_loss\":%s,\"val_acc\":%s,\"param_norm\":%s%s,\"lr\":0.001,\"elapsed_s\":%s}%n",
          t, trainLoss, trainAcc, valLoss, valAcc, norm, perOrder, t * 0.01));
    }
    Files.writeString(dir.resolve("metrics.jsonl"), m.toString());
    if (s.finished()) {
      Files.writeString(dir.resolve("summary.json"),
          "{\"status\": \"completed\", \"steps\": " + s.steps() + ", \"wall_time_s\": " + s.steps() * 0.01
              + ", \"steps_per_s\": 100.0}");
    } else {
      Files.createDirectories(dir.resolve("checkpoints").resolve("latest"));
    }
    return dir;
  }

  /** The full model config lmlab train records (model.config), from the preset with L, d and V = 39. */
  static String modelConfig(Spec s) {
    java.util.Map<String, String> o = new java.util.LinkedHashMap<>();
    o.put("vocab_size", "39");
    o.put("num_hidden_layers", Integer.toString(s.layers()));
    o.put("hidden_size", Integer.toString(s.d()));
    if (s.preset().equals("lstm-lm")) o.put("embedding_size", Integer.toString(s.d()));
    else o.put("head_dim", Integer.toString(s.d() / 4));
    String preset = s.preset().equals("chargpt") ? "gpt" : s.preset();
    return lmlab.models.Models.preset(preset, o).toJson().toString();
  }

  static String num(double v) {
    return v == Math.rint(v) ? String.format(Locale.ROOT, "%.1f", v) : Double.toString(v);
  }
}
