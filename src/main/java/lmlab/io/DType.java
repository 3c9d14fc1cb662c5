package lmlab.io;

import java.util.Arrays;
import java.util.stream.Collectors;

/**
 * The safetensors element types this reader understands. Float types load through
 * {@link SafetensorsFile#tensor} as float32 (F64 is narrowed, F16/BF16 widened exactly); integer
 * types load through {@link SafetensorsFile#ints} (I64 must fit in an int, BOOL reads as 0/1).
 */
public enum DType {
  F32(4, true),
  F16(2, true),
  BF16(2, true),
  F64(8, true),
  I64(8, false),
  I32(4, false),
  I16(2, false),
  I8(1, false),
  U8(1, false),
  BOOL(1, false);

  private final int size;
  private final boolean floating;

  DType(int size, boolean floating) {
    this.size = size;
    this.floating = floating;
  }

  /** Bytes per element. */
  public int size() {
    return size;
  }

  /** Whether values load as a float tensor (otherwise as an int tensor). */
  public boolean isFloating() {
    return floating;
  }

  /** The dtype named in a header, or null if unknown. */
  static DType parse(String name) {
    for (DType d : values()) {
      if (d.name().equals(name)) return d;
    }
    return null;
  }

  /** "F32, F16, ..." for error messages. */
  static String supported() {
    return Arrays.stream(values()).map(Enum::name).collect(Collectors.joining(", "));
  }
}
