package lmlab.analysis;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * LoRA on some matrices of every layer: rank r, the adapted matrices (targets among q, k, v, o,
 * gate, up, down; default q, v as PEFT's default for Llama-style models), and the base weights
 * stored at m bits (16 = LoRA on a bfloat16 base, 4 = QLoRA). An adapted (out × in) matrix gains
 * A (r × in) and B (out × r): r·(in + out) trainable parameters and 2·L·r·(in + out) forward FLOPs.
 * The frozen base takes P·m/8 bytes (QLoRA's per-block quantisation constants not included).
 */
public record Lora(int rank, List<String> targets, int baseBits) {
  public static final List<String> ALL = List.of("q", "k", "v", "o", "gate", "up", "down");

  public Lora {
    if (rank < 1) throw new IllegalArgumentException("--lora-rank must be >= 1, got " + rank);
    if (baseBits < 1 || baseBits > 64) throw new IllegalArgumentException("--base-bits must be in 1..64, got " + baseBits);
    Set<String> seen = new LinkedHashSet<>();
    for (String t : targets) {
      String n = t.trim().toLowerCase(Locale.ROOT);
      if (!ALL.contains(n)) {
        throw new IllegalArgumentException("--lora-targets: '" + t + "' is not a matrix; use " + String.join(", ", ALL));
      }
      seen.add(n);
    }
    if (seen.isEmpty()) throw new IllegalArgumentException("--lora-targets: give at least one matrix");
    targets = List.copyOf(new ArrayList<>(seen));
  }
}
