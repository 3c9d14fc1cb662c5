package lmlab.nn.weights;

import java.util.Locale;

/**
 * A quantiser of spec lora.md, by name: {@code absmax-mM} (the course's absmax int-M, one scale
 * per tensor), {@code blockwise-mM} or {@code intM} (absmax int-M per block of b), {@code nf4}
 * (NF4 per block of b) and {@code nf4-dq} (NF4 with double quantisation of the block scales). M
 * lies in 2 … 8; b (default 64) applies to the block-wise methods.
 *
 * @param bits m, the bits per code (4 for NF4)
 * @param blockSize elements per block, 0 for one block over the whole tensor
 */
public record QuantMethod(Kind kind, int bits, int blockSize, boolean doubleQuant) {
  public static final int DEFAULT_BLOCK = 64;
  /** Double quantisation's block over the 8-bit codes of the scales (bitsandbytes). */
  public static final int DQ_BLOCK = 256;

  public enum Kind { ABSMAX, NF4 }

  public QuantMethod {
    if (bits < 2 || bits > 8) throw new IllegalArgumentException("quantisation: m must be in 2..8, got " + bits);
    if (blockSize < 0) throw new IllegalArgumentException("quantisation: block size must be >= 1, got " + blockSize);
    if (kind == Kind.NF4 && (bits != 4 || blockSize == 0)) throw new IllegalArgumentException("nf4 is 4 bits per block");
    if (doubleQuant && kind != Kind.NF4) throw new IllegalArgumentException("double quantisation applies to nf4 only");
  }

  public static final String NAMES = "nf4, nf4-dq, int8, intM, absmax-mM (per tensor) or blockwise-mM, M in 2..8";

  /**
   * The method called name, with block size b for the block-wise ones. Errors name the value and
   * what is accepted; "none" is not a method (callers treat it).
   */
  public static QuantMethod parse(String name, int blockSize) {
    if (blockSize < 1) throw new IllegalArgumentException("--block-size must be >= 1, got " + blockSize);
    String n = name == null ? "" : name.trim().toLowerCase(Locale.ROOT);
    switch (n) {
      case "nf4" -> {
        return new QuantMethod(Kind.NF4, 4, blockSize, false);
      }
      case "nf4-dq" -> {
        return new QuantMethod(Kind.NF4, 4, blockSize, true);
      }
      default -> { }
    }
    String digits = null;
    boolean perTensor = false;
    if (n.startsWith("absmax-m")) {
      digits = n.substring("absmax-m".length());
      perTensor = true;
    } else if (n.startsWith("blockwise-m")) {
      digits = n.substring("blockwise-m".length());
    } else if (n.startsWith("int")) {
      digits = n.substring("int".length());
    }
    if (digits == null || !digits.matches("\\d{1,3}")) {
      throw new IllegalArgumentException("unknown quantisation method '" + name + "': use " + NAMES);
    }
    int m = Integer.parseInt(digits);
    if (m < 2 || m > 8) throw new IllegalArgumentException("quantisation method '" + name + "': m must be in 2..8, got " + m);
    return new QuantMethod(Kind.ABSMAX, m, perTensor ? 0 : blockSize, false);
  }

  /** The name parse reads back (the block size is separate). */
  public String label() {
    if (kind == Kind.NF4) return doubleQuant ? "nf4-dq" : "nf4";
    return blockSize == 0 ? "absmax-m" + bits : "blockwise-m" + bits;
  }

  /** Elements per block for a tensor of n elements. */
  public int block(int n) {
    return blockSize == 0 ? Math.max(n, 1) : blockSize;
  }

  /** The storage of one quantised tensor of n elements, the spec's table (code books not counted). */
  public long bytes(long n) {
    long blocks = blockSize == 0 ? 1 : ceil(n, blockSize);
    long codes = ceil(n * bits, 8);
    if (doubleQuant) return codes + blocks + 4 * ceil(blocks, DQ_BLOCK) + 4;
    return codes + 4 * blocks;
  }

  static long ceil(long a, long b) {
    return (a + b - 1) / b;
  }
}
