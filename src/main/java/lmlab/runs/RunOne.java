package lmlab.runs;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import lmlab.kernels.Parallel;
import lmlab.train.Progress;
import lmlab.train.Trainer;

/**
 * Trains one run of a sweep in this process ({@code lmlab sweep run-one}, what the local and Slurm
 * executors start per run): takes the run's lock, then starts it (pending; a directory without a
 * complete checkpoint is cleared first), resumes it from checkpoints/latest (interrupted, with the
 * thread count the run recorded) or leaves it (completed, failed, or locked by another process).
 */
public final class RunOne {
  /** What happened. */
  public enum Outcome { COMPLETED, INTERRUPTED, FAILED, ALREADY_COMPLETED, ALREADY_FAILED, LOCKED }

  /** The outcome, the trainer's result when it trained, and a line for the log. */
  public record Result(Outcome outcome, Trainer.Result trainer, String message) {
    /** Process exit code: 0 done, 1 failed, 3 locked by another process, 130 interrupted. */
    public int exitCode() {
      return switch (outcome) {
        case COMPLETED, ALREADY_COMPLETED -> 0;
        case FAILED, ALREADY_FAILED -> 1;
        case LOCKED -> 3;
        case INTERRUPTED -> 130;
      };
    }
  }

  /** Receives the trainer before it runs (the caller installs signal handlers that call requestStop). */
  public interface Starting {
    void trainer(Trainer t);
  }

  private RunOne() {}

  public static Result run(SweepDirectory sd, Sweep.Run run, boolean retryFailed, Progress progress, Starting starting)
      throws IOException {
    String id = run.id();
    SweepDirectory.State state = sd.state(id);
    if (state == SweepDirectory.State.COMPLETED) return new Result(Outcome.ALREADY_COMPLETED, null, "run " + id + " is completed");
    if (state == SweepDirectory.State.FAILED && !retryFailed) {
      return new Result(Outcome.ALREADY_FAILED, null, "run " + id + " failed (non-finite loss); --retry-failed starts it again");
    }
    RunSpec spec = RunSpec.of(run.settings(), id);
    String differs = sd.differingKey(id, spec);
    if (differs != null && state != SweepDirectory.State.PENDING) {
      throw new IllegalArgumentException("run " + sd.run(id) + " was made from other settings: " + differs
          + "; a changed sweep needs a new name (--name)");
    }
    if (!sd.lock(id)) {
      return new Result(Outcome.LOCKED, null, "run " + id + " is being trained by " + sd.lockHolder(id) + "; skipped");
    }
    ScheduledExecutorService refresher = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "lock-refresh");
      t.setDaemon(true);
      return t;
    });
    try {
      refresher.scheduleAtFixedRate(() -> sd.refreshLock(id), SweepDirectory.LOCK_REFRESH_MILLIS,
          SweepDirectory.LOCK_REFRESH_MILLIS, TimeUnit.MILLISECONDS);
      Trainer trainer;
      if (state == SweepDirectory.State.INTERRUPTED) {
        ObjectNode config = Trainer.readRunConfig(sd.run(id));
        int threads = config.path("threads").asInt(Parallel.threads());
        if (threads != Parallel.threads()) Parallel.setThreads(threads);
        trainer = Trainer.resume(sd.run(id), RunSpec.taskOf(sd.run(id), config));
        progress.message("run " + id + ": resuming at step " + trainer.step() + " of " + trainer.config().steps());
      } else {
        sd.clear(id); // pending (killed before its first checkpoint) or failed with --retry-failed
        trainer = spec.start();
        progress.message("run " + id + ": " + spec.describe());
      }
      starting.trainer(trainer);
      Trainer.Result r = trainer.progress(progress).run();
      Outcome o = switch (r.status()) {
        case COMPLETED, STOPPED_EARLY -> Outcome.COMPLETED;
        case INTERRUPTED -> Outcome.INTERRUPTED;
        case NONFINITE_LOSS -> Outcome.FAILED;
      };
      return new Result(o, r, "run " + id + ": " + r.status().key() + (r.message() == null ? "" : ": " + r.message()));
    } finally {
      refresher.shutdownNow();
      sd.unlock(id);
    }
  }
}
