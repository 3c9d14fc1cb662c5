package lmlab.serve;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.logging.Level;
import lmlab.decode.ContinuousBatch;
import lmlab.decode.Eos;
import lmlab.kernels.Parallel;
import lmlab.models.LanguageModel;

/**
 * The decoding thread of {@code lmlab serve}: every request a slot thread hands to
 * {@link #generate} becomes a row of one {@link ContinuousBatch}, and each step feeds all rows
 * together (continuous batching: between steps, finished and cancelled rows leave and waiting
 * requests join, their prompts stepped first, those of one length that arrived together in one
 * step). This thread samples each row's token;
 * the tokens then go to their requests' sinks (which assemble text and start a non-blocking write)
 * while the next step runs, on a worker of the pool ({@link Parallel#aside}) when the step has
 * {@link #ASIDE_MIN_ROWS} rows or more, so the writes, and the client threads they wake on the
 * writer's core, no longer stand between two steps; the worker takes its parts of the step once
 * the writes are out. A step wakes no slot thread (on two cores, every thread woken per step
 * competes with the step's own threads). A slot thread only waits for its request to end. A sink
 * that refuses a token (stop string, timeout, client gone) or reports itself cancelled ends its
 * request, and the row leaves before the next step (a row refused while a step runs has that step
 * computed for nothing, and its token from it dropped).
 */
final class BatchScheduler implements AutoCloseable {
  /** One request in flight. */
  private static final class Job {
    final Generator.Request request;
    final Generator.TokenSink sink;
    /** Counted down once the sink will not be called again (the slot thread then finishes the response). */
    final CountDownLatch ended = new CountDownLatch(1);
    volatile RuntimeException failure;
    volatile boolean cancelled;
    RowSampler sampler;
    int last;
    int generated;
    /** Ended (its sink will not be called again); written by whoever ends it, read by the decoding thread between hands. */
    boolean done;
    /** Its last token is sampled (end of sequence, limit, complete value): it leaves the batch and ends once handed. */
    boolean finishing;
    /** The token sampled for it and not yet handed to its sink. */
    Generator.Token pending;

    Job(Generator.Request request, Generator.TokenSink sink) {
      this.request = request;
      this.sink = sink;
    }

    /** Its slot thread gave up (interrupted) or its sink reports the client gone: the row leaves. */
    boolean cancelRequested() {
      return cancelled || sink.cancelled();
    }

    /** No more tokens for this request (the decoding thread only). */
    void end(RuntimeException e) {
      if (done) return;
      done = true;
      failure = e;
      ended.countDown();
    }
  }

  /**
   * Steps of at least this many rows hand their tokens on a worker of the pool while the next step
   * runs; smaller ones hand them on this thread between steps (a one-row step's products run with
   * their own helper thread, {@code MatVecTeam}, and the pool's worker rests).
   */
  static final int ASIDE_MIN_ROWS = Integer.getInteger("lmlab.serve.asideMinRows", 2);

  private final ContinuousBatch batch;
  private final Eos eos;
  private final int parallel;
  private final int vocab;
  private final LinkedBlockingQueue<Job> incoming = new LinkedBlockingQueue<>();
  private final List<Job> active = new ArrayList<>();
  private final AtomicLong steps = new AtomicLong();
  private final AtomicLong requests = new AtomicLong();
  private final Object gate = new Object();
  private boolean held;
  private final Thread thread;
  private volatile boolean closed;
  /** Where the decoding thread's time goes (nanoseconds; written by it, read under the lock). */
  private final long[] time = new long[StepTimes.FIELDS];
  /** When the decoding thread began waiting for a request (0: not waiting); under the lock of time. */
  private long waitingSince;

  BatchScheduler(LanguageModel model, Eos eos, int parallel, String name) {
    if (parallel < 1 || parallel > ContinuousBatch.MAX_ROWS) {
      throw new IllegalArgumentException("--parallel must be in [1, " + ContinuousBatch.MAX_ROWS + "], got " + parallel
          + " (a step keeps at most " + ContinuousBatch.MAX_ROWS + " rows independent of each other)");
    }
    this.batch = new ContinuousBatch(model);
    this.eos = eos;
    this.parallel = parallel;
    this.vocab = model.vocabSize();
    this.thread = Thread.ofPlatform().name("lmlab-decode-" + name).daemon().start(this::loop);
  }

  long steps() {
    return steps.get();
  }

  /** The decoding thread's time so far, split by phase (two clock reads per phase; always on). */
  StepTimes times() {
    synchronized (time) {
      long[] t = time.clone();
      // a wait in progress counts up to now, so a window's wait is its own
      if (waitingSince != 0) t[StepTimes.WAIT] += System.nanoTime() - waitingSince;
      return StepTimes.of(t);
    }
  }

  /** Requests handed to {@link #generate} so far. */
  long requests() {
    return requests.get();
  }

  /**
   * Keeps the decoding thread from admitting requests until {@link #release}: requests queue, so
   * a test can make several arrive at one step boundary whatever the machine's load.
   */
  void hold() {
    synchronized (gate) {
      held = true;
    }
  }

  void release() {
    synchronized (gate) {
      held = false;
      gate.notifyAll();
    }
  }

  private void awaitRelease() throws InterruptedException {
    synchronized (gate) {
      while (held && !closed) gate.wait();
    }
  }

  /**
   * Generates for one request: the sink is called in the decoding thread, and this returns once
   * it will not be called again (the request ended, or the sink refused or reported itself
   * cancelled).
   */
  void generate(Generator.Request request, Generator.TokenSink sink) throws InterruptedException {
    if (closed) throw new IllegalStateException("the decoder is shut down");
    Job job = new Job(request, sink);
    incoming.add(job);
    requests.incrementAndGet();
    try {
      job.ended.await();
    } catch (InterruptedException e) {
      // the row leaves before the next step; the sink must not be running when the caller moves on
      job.cancelled = true;
      while (!closed && !job.ended.await(50, TimeUnit.MILLISECONDS)) { }
      throw e;
    }
    if (job.failure != null) throw job.failure;
  }

  private void loop() {
    List<Job> fresh = new ArrayList<>();
    List<Job> joining = new ArrayList<>();
    List<Job> toHand = new ArrayList<>(); // sampled, not yet handed
    Hand hand = null; // the hand of the tokens sampled last, while a step runs
    while (!closed) {
      try {
        fresh.clear();
        long t0 = System.nanoTime();
        if (active.isEmpty() && toHand.isEmpty()) {
          synchronized (time) {
            waitingSince = t0;
          }
          fresh.add(incoming.take());
        }
        awaitRelease();
        long t1 = System.nanoTime();
        synchronized (time) {
          time[StepTimes.WAIT] += t1 - t0;
          waitingSince = 0;
        }
        incoming.drainTo(fresh);
        // leave before join: a slot whose request ended marks it cancelled before its next request can arrive
        prune();
        joining.clear();
        for (Job j : fresh) {
          if (j.cancelRequested()) j.end(null);
          else joining.add(j);
        }
        if (!joining.isEmpty()) admit(joining, toHand);
        prune();
        if (active.size() < ASIDE_MIN_ROWS) {
          handOut(toHand);
          toHand.clear();
          if (active.isEmpty()) {
            account(t1, 0, 0);
            continue;
          }
        } else {
          hand = new Hand(toHand); // the tokens go out while the rows step on
          toHand.clear();
        }
        int[] tokens = new int[active.size()];
        for (int r = 0; r < tokens.length; r++) tokens[r] = active.get(r).last;
        long t2 = System.nanoTime();
        float[] logits = batch.step(tokens);
        long t3 = System.nanoTime();
        steps.incrementAndGet();
        if (hand != null) {
          Hand h = hand;
          hand = null;
          h.finish();
          handNs += System.nanoTime() - t3;
          asideNs += h.workerNs;
        }
        for (int r = 0; r < tokens.length; r++) sample(active.get(r), logits, r * vocab, toHand);
        account(t1, t3 - t2, tokens.length);
      } catch (InterruptedException e) {
        if (closed) break;
      } catch (RuntimeException e) {
        ApiHandler.LOG.log(Level.SEVERE, "decoding failed", e);
        if (hand != null) { // nothing else may end a request while its token is being handed
          hand.finishQuietly();
          hand = null;
        }
        for (Job j : active) j.end(e);
        for (Job j : fresh) j.end(e);
        for (Job j : toHand) j.end(e);
        active.clear();
        toHand.clear();
        batch.reset();
      }
    }
    IllegalStateException shut = new IllegalStateException("the decoder is shut down");
    if (hand != null) hand.finishQuietly();
    for (Job j : active) j.end(shut);
    for (Job j : toHand) j.end(shut);
    for (Job j; (j = incoming.poll()) != null; ) j.end(shut);
  }

  /** Per-iteration accumulators of the decoding thread (phases timed inside admit, sample and handOut). */
  private long joinNs, sampleNs, handNs, joins, asideNs;

  /** Adds one loop iteration (from t1, the end of its wait) to the totals. */
  private void account(long t1, long stepNs, int rows) {
    long end = System.nanoTime();
    synchronized (time) {
      time[StepTimes.JOIN] += joinNs;
      time[StepTimes.STEP] += stepNs;
      time[StepTimes.SAMPLE] += sampleNs;
      time[StepTimes.HAND] += handNs;
      time[StepTimes.OTHER] += (end - t1) - joinNs - stepNs - sampleNs - handNs;
      time[StepTimes.STEPS] += rows > 0 ? 1 : 0;
      time[StepTimes.ROWS] += rows;
      time[StepTimes.JOINS] += joins;
      time[StepTimes.ASIDE] += asideNs;
    }
    joinNs = sampleNs = handNs = joins = asideNs = 0;
  }

  /**
   * Steps the requests' prompts (those of one length together, {@link ContinuousBatch#join}),
   * adds them as the last rows, and samples their first tokens (into toHand). When that fails,
   * each joins alone, so a request the model refuses (a prompt it cannot take) ends only itself.
   */
  private void admit(List<Job> jobs, List<Job> toHand) {
    if (active.size() + jobs.size() > parallel) {
      throw new IllegalStateException("more requests than the " + parallel + " slots");
    }
    List<int[]> prompts = new ArrayList<>(jobs.size());
    for (Job j : jobs) prompts.add(j.request.prompt());
    long t0 = System.nanoTime();
    List<float[]> together;
    try {
      together = batch.join(prompts);
    } catch (RuntimeException e) {
      together = null; // nothing joined: each tries alone
    }
    float[][] logits = new float[jobs.size()][];
    for (int i = 0; i < jobs.size(); i++) logits[i] = together != null ? together.get(i) : joinAlone(jobs.get(i));
    joinNs += System.nanoTime() - t0;
    joins += jobs.size();
    for (int i = 0; i < jobs.size(); i++) {
      if (logits[i] == null) continue; // refused: ended
      Job job = jobs.get(i);
      job.sampler = new RowSampler(job.request, vocab);
      active.add(job);
      sample(job, logits[i], 0, toHand);
    }
  }

  /** The job's prompt joined on its own: its last logits, or null when the model refuses it (the job then ends). */
  private float[] joinAlone(Job job) {
    try {
      return batch.join(job.request.prompt());
    } catch (RuntimeException e) {
      job.end(e);
      return null;
    }
  }

  /**
   * Samples the row's next token (skipping a request a hand has ended meanwhile) and queues it
   * for its sink; marks the request finishing when this token is its last.
   */
  private void sample(Job job, float[] logits, int off, List<Job> toHand) {
    if (job.done || job.finishing) return;
    long t0 = System.nanoTime();
    try {
      Generator.Token t = job.sampler.next(logits, off);
      job.last = t.id();
      job.generated++;
      var c = job.request.constraint();
      job.finishing = eos.matches(t.id()) || job.generated >= job.request.maxTokens() || (c != null && c.finished());
      job.pending = t;
      toHand.add(job);
    } catch (RuntimeException e) {
      job.end(e);
    } finally {
      sampleNs += System.nanoTime() - t0;
    }
  }

  /** Gives each job its pending token on this thread, between steps. */
  private void handOut(List<Job> jobs) {
    long t0 = System.nanoTime();
    for (Job job : jobs) handOne(job);
    handNs += System.nanoTime() - t0;
  }

  /**
   * Gives the job its pending token (the sink writes it out without blocking) and ends it when its
   * sink refuses or the token was its last.
   */
  private static void handOne(Job job) {
    Generator.Token t = job.pending;
    job.pending = null;
    if (job.done) return; // cancelled since its token was sampled
    try {
      if (!job.sink.accept(t) || job.finishing) job.end(null);
    } catch (RuntimeException e) {
      job.end(e);
    }
  }

  /**
   * One step's tokens handed while the next step runs: the pool's worker takes the jobs one at a
   * time, and the decoding thread, once its step is done, takes those left and waits only for the
   * one the worker is writing (a worker preempted by the operating system holds up one job, not
   * the step's hand). Nothing else touches these jobs until {@link #finish} returns.
   */
  private static final class Hand {
    private final Job[] jobs;
    private final AtomicInteger next = new AtomicInteger();
    private final Parallel.Aside aside;
    /** The worker's time handing (read after {@link #finish}). */
    long workerNs;

    /** Starts handing jobs' pending tokens on the pool's worker. */
    Hand(List<Job> jobs) {
      this.jobs = jobs.toArray(new Job[0]);
      this.aside = Parallel.aside(this::run);
    }

    /** Hands jobs nobody has taken yet. */
    private void run() {
      long t0 = System.nanoTime();
      for (int i; (i = next.getAndIncrement()) < jobs.length; ) handOne(jobs[i]);
      if (Parallel.inWorker()) workerNs = System.nanoTime() - t0;
    }

    /** Hands what is left here, then waits for the worker's task: it returns once the job it took last is handed. */
    void finish() {
      run();
      aside.await();
    }

    /** {@link #finish} when the loop is failing or closing: the requests end afterwards anyway, so a hand's own failure is dropped. */
    void finishQuietly() {
      try {
        finish();
      } catch (RuntimeException ignored) {
        // the caller ends every request next
      }
    }
  }

  /** Drops finished and cancelled rows from the batch. */
  private void prune() {
    int[] keep = new int[active.size()];
    int n = 0;
    List<Job> kept = new ArrayList<>(active.size());
    for (int r = 0; r < active.size(); r++) {
      Job j = active.get(r);
      if (j.done || j.finishing) continue; // a finishing request ends once its last token is handed
      if (j.cancelRequested()) {
        j.end(null);
        continue;
      }
      keep[n++] = r;
      kept.add(j);
    }
    if (n == active.size()) return;
    batch.retain(java.util.Arrays.copyOf(keep, n));
    active.clear();
    active.addAll(kept);
  }

  @Override
  public void close() {
    closed = true;
    release();
    thread.interrupt();
  }
}
