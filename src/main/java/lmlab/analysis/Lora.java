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
 * The frozen base takes P·m/8 bytes in the course's idealisation (every parameter at m bits, no
 * constants); for m ≤ 8 the analyser also gives the exact storage of spec lora.md: every Linear
 * weight inside the layers quantised ({@link #quantizer}, block {@link #blockSize}) with its
 * constants, everything else at the element type's bytes.
 */
public record Lora(int rank, List<String> targets, int baseBits, String quantizer, int blockSize) {
  public static final List<String> ALL = List.of("q", "k", "v", "o", "gate", "up", "down");

  /**
   * The default quantiser for m-bit bases: NF4 with double quantisation for m = 4 (the QLoRA
   * paper's), absmax int-m per block of 64 for the other m in 2 … 8; none above 8 bits.
   */
  public Lora(int rank, List<String> targets, int baseBits) {
    this(rank, targets, baseBits, baseBits == 4 ? "nf4-dq" : baseBits <= 8 ? "blockwise-m" + baseBits : "none", 64);
  }

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
    quantizer = quantizer == null ? "none" : quantizer.trim().toLowerCase(Locale.ROOT);
    if (blockSize < 1) throw new IllegalArgumentException("--block-size must be >= 1, got " + blockSize);
    if (!quantizer.equals("none")) {
      int bits = switch (quantizer) {
        case "nf4", "nf4-dq" -> 4;
        default -> {
          String d = quantizer.startsWith("absmax-m") ? quantizer.substring(8)
              : quantizer.startsWith("blockwise-m") ? quantizer.substring(11)
              : quantizer.startsWith("int") ? quantizer.substring(3) : "";
          if (!d.matches("[2-8]")) {
            throw new IllegalArgumentException("--quantize: unknown method '" + quantizer
                + "'; use nf4, nf4-dq, intM, absmax-mM or blockwise-mM (M in 2..8)");
          }
          yield Integer.parseInt(d);
        }
      };
      if (bits != baseBits) {
        throw new IllegalArgumentException("--quantize " + quantizer + " stores " + bits + "-bit codes but --base-bits is " + baseBits);
      }
    }
  }

  /**
   * The stored bytes of one quantised matrix of n = (expression) weights, spec lora.md's table,
   * as a closed form; null when the base is not quantised.
   */
  public String storage(String n) {
    String b = Integer.toString(blockSize);
    String blocks = "ceil(" + n + "/" + b + ")";
    return switch (quantizer) {
      case "none" -> null;
      case "nf4" -> "ceil(" + n + "/2) + 4·" + blocks;
      case "nf4-dq" -> "ceil(" + n + "/2) + " + blocks + " + 4·ceil(" + blocks + "/256) + 4";
      default -> quantizer.startsWith("absmax-m")
          ? "ceil(" + n + "·" + baseBits + "/8) + 4"
          : "ceil(" + n + "·" + baseBits + "/8) + 4·" + blocks;
    };
  }
}
