package lmlab.io;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.Map;
import lmlab.tensor.IntTensor;
import lmlab.tensor.Tensor;

/**
 * Reads and writes the safetensors format: an unsigned 64-bit little-endian header length n, n
 * bytes of UTF-8 JSON ({@code __metadata__} string -> string, and per tensor dtype, shape and
 * data_offsets relative to the data section), then the raw little-endian row-major data.
 *
 * <p>Reading validates the whole header against the file size before returning, so a truncated
 * or corrupt file fails with a {@link SafetensorsException} and never yields a wrong tensor.
 * Supported dtypes: F32, F16, BF16, F64 (loaded as float32) and I64, I32, I16, I8, U8, BOOL
 * (loaded as int). Gaps between tensors and trailing bytes are tolerated; overlaps are not.
 */
public final class Safetensors {
  /** Headers above this are refused as corrupt rather than allocated. */
  static final long MAX_HEADER = 100L * 1024 * 1024;
  /** Files above this are memory-mapped instead of read into the heap. */
  static final long MAP_THRESHOLD = 64L * 1024 * 1024;

  private Safetensors() {}

  /** Opens and validates a file; close it to release a memory mapping (a no-op for small files). */
  public static SafetensorsFile read(Path path) throws IOException {
    return read(path, MAP_THRESHOLD);
  }

  /** As {@link #read(Path)}, memory-mapping when the file is larger than mapThreshold bytes. */
  static SafetensorsFile read(Path path, long mapThreshold) throws IOException {
    return read(path, mapThreshold, false);
  }

  /**
   * As {@link #read(Path, long)}; with kept, the mapping belongs to an automatic arena: it stays
   * valid while any segment of it is reachable (weights that decode straight from the file) and is
   * unmapped by the garbage collector after, so {@link SafetensorsFile#close()} leaves it alone.
   */
  static SafetensorsFile read(Path path, long mapThreshold, boolean kept) throws IOException {
    String source = path.toString();
    try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
      long size = ch.size();
      long n = headerLength(source, size, readFully(ch, 0, 8, size, source));
      byte[] header = readFully(ch, 8, (int) n, size, source);
      long dataStart = 8 + n;
      long dataLength = size - dataStart;
      HeaderParser.Header h = HeaderParser.parse(source, header, dataLength);
      if (size > mapThreshold) {
        if (kept) {
          MemorySegment seg = ch.map(FileChannel.MapMode.READ_ONLY, dataStart, dataLength, Arena.ofAuto());
          return new SafetensorsFile(source, h, seg, null);
        }
        Arena arena = Arena.ofShared();
        try {
          // The mapping outlives the channel; the arena unmaps it on close().
          MemorySegment seg = ch.map(FileChannel.MapMode.READ_ONLY, dataStart, dataLength, arena);
          return new SafetensorsFile(source, h, seg, arena);
        } catch (IOException | RuntimeException e) {
          arena.close();
          throw e;
        }
      }
      byte[] data = readFully(ch, dataStart, Math.toIntExact(dataLength), size, source);
      return new SafetensorsFile(source, h, MemorySegment.ofArray(data), null);
    } catch (NoSuchFileException e) {
      throw new SafetensorsException(source + ": no such file", e);
    }
  }

  /** Reads a whole safetensors file already in memory (a classpath resource, say). */
  public static SafetensorsFile read(byte[] bytes, String source) throws SafetensorsException {
    long size = bytes.length;
    byte[] first = Arrays.copyOf(bytes, Math.min(8, bytes.length));
    long n = headerLength(source, size, first);
    byte[] header = Arrays.copyOfRange(bytes, 8, (int) (8 + n));
    HeaderParser.Header h = HeaderParser.parse(source, header, size - 8 - n);
    MemorySegment data = MemorySegment.ofArray(bytes).asSlice(8 + n);
    return new SafetensorsFile(source, h, data, null);
  }

  /**
   * Writes float tensors as F32 and int tensors as I64, names sorted, atomically (a temporary file
   * in the same directory is moved over the target only once complete).
   */
  public static void write(Path path, Map<String, Tensor> floats, Map<String, IntTensor> ints,
      Map<String, String> metadata) throws IOException {
    write(path, floats, ints, metadata, DType.I64);
  }

  /** As {@link #write(Path, Map, Map, Map)}, with int tensors stored as intType (I64 or I32). */
  public static void write(Path path, Map<String, Tensor> floats, Map<String, IntTensor> ints,
      Map<String, String> metadata, DType intType) throws IOException {
    SafetensorsWriter.write(path, floats, ints, metadata, intType);
  }

  /** Float tensors as F32 and byte arrays as U8 tensors of shape (length,), with metadata, atomically. */
  public static void writeWithBytes(Path path, Map<String, Tensor> floats, Map<String, byte[]> bytes,
      Map<String, String> metadata) throws IOException {
    SafetensorsWriter.write(path, floats, Map.of(), bytes, metadata, DType.I64);
  }

  /** Writes float tensors only, no metadata. */
  public static void write(Path path, Map<String, Tensor> floats) throws IOException {
    write(path, floats, Map.of(), Map.of());
  }

  private static long headerLength(String source, long size, byte[] first8) throws SafetensorsException {
    if (size < 8) {
      throw new SafetensorsException(source + ": file is " + size
          + " bytes, shorter than the 8-byte header length; expected a safetensors file");
    }
    long n = ByteBuffer.wrap(first8).order(ByteOrder.LITTLE_ENDIAN).getLong();
    // n is unsigned in the format: a negative long is a length above 2^63, absurd as well.
    if (n < 0 || n > MAX_HEADER) {
      throw new SafetensorsException(source + ": header length " + Long.toUnsignedString(n)
          + " is absurd; expected at most " + MAX_HEADER + " bytes (corrupt or not a safetensors file)");
    }
    if (n > size - 8) {
      throw new SafetensorsException(source + ": header length " + n + " is larger than the file ("
          + size + " bytes); the file is truncated or not safetensors");
    }
    return n;
  }

  private static byte[] readFully(FileChannel ch, long at, int len, long size, String source) throws IOException {
    ByteBuffer buf = ByteBuffer.allocate(Math.toIntExact(Math.min(len, Math.max(0, size - at))));
    while (buf.hasRemaining()) {
      if (ch.read(buf, at + buf.position()) < 0) {
        throw new SafetensorsException(source + ": file ended early while reading at byte " + (at + buf.position()));
      }
    }
    return buf.array();
  }
}
