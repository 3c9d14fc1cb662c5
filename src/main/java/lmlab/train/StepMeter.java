package lmlab.train;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;
import java.util.function.DoubleSupplier;
import lmlab.nn.AttentionMeter;
import lmlab.tensor.MemoryProbe;
import lmlab.tensor.Tensor;

/**
 * Time and memory of one update as the engine itself counts them (text.md, "Memory and time per
 * iteration"), for steps.jsonl:
 * <ul>
 *   <li>{@code iter_ms}: wall time of the whole update (batch, forward, backward, clipping, AdamW);
 *   <li>{@code attn_ms}: wall time of one attention module's forward, averaged over layers;
 *   <li>{@code attn_core_bytes}: bytes the attention core allocated, averaged over layers
 *       ({@link AttentionMeter});
 *   <li>{@code kv_bytes}: K and V of one layer after projection and RoPE (the layers agree);
 *   <li>{@code step_alloc_bytes}: every byte the engine handed out during the update
 *       ({@link MemoryProbe}: op outputs, scratch, first gradient copies, on any thread);
 *   <li>{@code peak_live_bytes}: the most bytes alive at once: the parameters, the gradients that
 *       existed before the update and the optimizer state, plus the update's buffers, which the
 *       step's arena hands back only when the update ends (so they are all alive at its end;
 *       buffers under 16 KiB go to the collector earlier and are counted as alive, an upper bound).
 * </ul>
 */
public final class StepMeter {
  /** One update measured. layers: each attention forward (kept tensors, K/V and core bytes). */
  public record Measure(double iterMs, double attnMs, long attnCoreBytes, long kvBytes, long stepAllocBytes,
      long peakLiveBytes, List<AttentionMeter.Layer> layers) {
    /** The steps.jsonl fields, in text.md's order. */
    public void writeTo(ObjectNode line) {
      line.put("iter_ms", round3(iterMs));
      line.put("attn_ms", round3(attnMs));
      line.put("attn_core_bytes", attnCoreBytes);
      line.put("kv_bytes", kvBytes);
      line.put("step_alloc_bytes", stepAllocBytes);
      line.put("peak_live_bytes", peakLiveBytes);
    }

    /** memory.json: what one layer's attention keeps (name, shape, bytes) and the totals of this update. */
    public ObjectNode memoryJson(long step) {
      ObjectNode o = RunDirectory.JSON.createObjectNode();
      o.put("step", step);
      o.put("attention_layers", layers.size());
      o.put("kv_bytes", kvBytes);
      o.put("attn_core_bytes", attnCoreBytes);
      o.put("step_alloc_bytes", stepAllocBytes);
      o.put("peak_live_bytes", peakLiveBytes);
      ArrayNode kept = o.putArray("attention_core_kept");
      if (!layers.isEmpty()) {
        for (MemoryProbe.Kept k : layers.getFirst().kept()) {
          ObjectNode t = kept.addObject();
          t.put("name", k.name());
          ArrayNode shape = t.putArray("shape");
          for (int d : k.shape()) shape.add(d);
          t.put("bytes", k.bytes());
        }
      }
      return o;
    }
  }

  private StepMeter() {}

  /**
   * Runs one update under the meters and measures it. persistent: bytes alive across updates
   * (parameters, existing gradients, optimizer state). update returns the batch loss.
   */
  public static Result measure(long persistent, DoubleSupplier update) {
    long start = System.nanoTime();
    double loss;
    List<AttentionMeter.Layer> layers;
    long bytes;
    try (MemoryProbe.Meter memory = MemoryProbe.open(); AttentionMeter attention = AttentionMeter.open()) {
      loss = update.getAsDouble();
      layers = List.copyOf(attention.layers());
      bytes = memory.bytes();
    }
    double iterMs = (System.nanoTime() - start) / 1e6;
    double attnMs = 0;
    long core = 0;
    long kv = 0;
    for (AttentionMeter.Layer l : layers) {
      attnMs += l.nanos() / 1e6;
      core += l.coreBytes();
      if (kv != 0 && l.kvBytes() != kv) {
        throw new IllegalStateException("layers differ in K/V bytes (" + kv + " and " + l.kvBytes() + ")");
      }
      kv = l.kvBytes();
    }
    int n = Math.max(1, layers.size());
    return new Result(loss, new Measure(iterMs, attnMs / n, core / n, kv, bytes, persistent + bytes, layers));
  }

  /** The batch loss and the measure of its update. */
  public record Result(double loss, Measure measure) {}

  /** Bytes alive across updates: every parameter, every gradient held now, and the optimizer state. */
  public static long persistentBytes(Iterable<Tensor> parameters, Optimizer optimizer) {
    long floats = 0;
    for (Tensor p : parameters) {
      floats += p.numel();
      if (p.grad() != null) floats += p.grad().numel();
    }
    return floats * Float.BYTES + optimizer.stateBytes();
  }

  private static double round3(double v) {
    return Math.round(v * 1000) / 1000.0;
  }
}
