package lmlab.nn.attention;

import java.util.Locale;

/**
 * How a {@link LayerKvCache} stores its keys and values ({@code --kv-cache f32|bf16}). float32 is
 * the default and exact. bf16 rounds each key (after RoPE) and value to bfloat16 as it is appended
 * (nearest, ties to even, as PyTorch's {@code to(torch.bfloat16)}) and widens it exactly when
 * attention reads it: half the bytes per cached token, so half the memory for long contexts and
 * half the bytes every decoding step reads from the cache, at the precision of a bf16 cache (as
 * llama.cpp's f16 cache, its default, and vLLM's {@code kv_cache_dtype}). Queries, scores, the
 * softmax and the weighted sums stay float32.
 */
public enum KvFormat {
  F32(Float.BYTES), BF16(Short.BYTES);

  private final int bytes;

  KvFormat(int bytes) {
    this.bytes = bytes;
  }

  /** Bytes per cached element. */
  public int bytes() {
    return bytes;
  }

  /** "f32" / "float32" or "bf16" / "bfloat16"; anything else is an error listing them. */
  public static KvFormat parse(String s) {
    return switch (s == null ? "" : s.trim().toLowerCase(Locale.ROOT)) {
      case "f32", "float32", "fp32" -> F32;
      case "bf16", "bfloat16" -> BF16;
      default -> throw new IllegalArgumentException("'" + s + "' is not a KV cache format; expected f32 or bf16");
    };
  }

  /** The name used on the command line. */
  public String label() {
    return name().toLowerCase(Locale.ROOT);
  }
}
