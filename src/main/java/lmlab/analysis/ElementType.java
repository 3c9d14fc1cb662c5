package lmlab.analysis;

import java.util.Locale;

/** The element type of a KV cache or recurrent state, b bytes per element (bfloat16 by default). */
public enum ElementType {
  BF16("bfloat16", 2),
  F16("float16", 2),
  F32("float32", 4),
  F64("float64", 8),
  FP8("float8", 1),
  INT8("int8", 1);

  private final String label;
  private final int bytes;

  ElementType(String label, int bytes) {
    this.label = label;
    this.bytes = bytes;
  }

  public String label() {
    return label;
  }

  public int bytes() {
    return bytes;
  }

  /** bf16, bfloat16, f16, fp16, float16, f32, fp32, float32, f64, float64, fp8, int8 (any case). */
  public static ElementType parse(String name) {
    String n = name == null ? "" : name.trim().toLowerCase(Locale.ROOT);
    return switch (n) {
      case "bf16", "bfloat16" -> BF16;
      case "f16", "fp16", "float16", "half" -> F16;
      case "f32", "fp32", "float32", "float" -> F32;
      case "f64", "fp64", "float64", "double" -> F64;
      case "fp8", "f8", "float8" -> FP8;
      case "int8", "i8" -> INT8;
      default -> throw new IllegalArgumentException("dtype '" + name
          + "' is not known; use bf16 (default), f16, f32, f64, fp8 or int8");
    };
  }
}
