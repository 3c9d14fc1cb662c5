package lmlab.serve;

/**
 * Where the decoding thread of {@code lmlab serve} spends its time, as totals since start:
 * waiting for a request (batch empty), joining requests (their prompts stepped and appended),
 * the batched step, sampling (logprobs, penalties, mask, the draw), handing tokens to the
 * requests' sinks (text, event, a write that does not block: on this thread, or the wait for a
 * worker handing them while the step ran), and the rest (pruning, bookkeeping); besides, the time
 * the pool's worker spent handing tokens while steps ran ({@code asideNs}, not this thread's).
 * {@link #minus} gives a window's share, so {@code lmlab bench serve} can report a per-step
 * breakdown.
 */
public record StepTimes(long waitNs, long joinNs, long stepNs, long sampleNs, long handNs, long otherNs, long steps,
    long rows, long joins, long asideNs) {
  static final int WAIT = 0, JOIN = 1, STEP = 2, SAMPLE = 3, HAND = 4, OTHER = 5, STEPS = 6, ROWS = 7, JOINS = 8,
      ASIDE = 9;
  static final int FIELDS = 10;

  public static final StepTimes ZERO = new StepTimes(0, 0, 0, 0, 0, 0, 0, 0, 0, 0);

  static StepTimes of(long[] t) {
    return new StepTimes(t[WAIT], t[JOIN], t[STEP], t[SAMPLE], t[HAND], t[OTHER], t[STEPS], t[ROWS], t[JOINS], t[ASIDE]);
  }

  /** This window minus an earlier snapshot. */
  public StepTimes minus(StepTimes o) {
    return new StepTimes(waitNs - o.waitNs, joinNs - o.joinNs, stepNs - o.stepNs, sampleNs - o.sampleNs,
        handNs - o.handNs, otherNs - o.otherNs, steps - o.steps, rows - o.rows, joins - o.joins, asideNs - o.asideNs);
  }

  /** The sum of two windows. */
  public StepTimes plus(StepTimes o) {
    return new StepTimes(waitNs + o.waitNs, joinNs + o.joinNs, stepNs + o.stepNs, sampleNs + o.sampleNs,
        handNs + o.handNs, otherNs + o.otherNs, steps + o.steps, rows + o.rows, joins + o.joins, asideNs + o.asideNs);
  }

  /** The busy time (everything but waiting), in nanoseconds. */
  public long busyNs() {
    return joinNs + stepNs + sampleNs + handNs + otherNs;
  }
}
