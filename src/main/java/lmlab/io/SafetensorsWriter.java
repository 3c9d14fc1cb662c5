package lmlab.io;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;
import lmlab.tensor.IntTensor;
import lmlab.tensor.Tensor;

/** Writes safetensors files atomically: temp file in the target's directory, fsync, atomic move. */
final class SafetensorsWriter {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final int CHUNK = 1 << 16; // elements converted to bytes per write

  private SafetensorsWriter() {}

  /**
   * One tensor to write: exactly one of floats/ints is set. A float tensor is kept as the tensor
   * itself (not a copy of its values), so writing a model's state dict never holds a second copy.
   */
  private record Item(String name, DType dtype, int[] shape, Tensor floats, int[] ints, byte[] raw) {
    Item(String name, DType dtype, int[] shape, Tensor floats, int[] ints) {
      this(name, dtype, shape, floats, ints, null);
    }

    long bytes() {
      return raw != null ? raw.length : (long) (floats != null ? floats.numel() : ints.length) * dtype.size();
    }
  }

  static void write(Path path, Map<String, Tensor> floats, Map<String, IntTensor> ints,
      Map<String, String> metadata, DType intType) throws IOException {
    write(path, floats, ints, Map.of(), metadata, intType);
  }

  /** As above, plus byte tensors written as U8 with shape (length,) (packed codes). */
  static void write(Path path, Map<String, Tensor> floats, Map<String, IntTensor> ints, Map<String, byte[]> bytes,
      Map<String, String> metadata, DType intType) throws IOException {
    if (intType != DType.I64 && intType != DType.I32) {
      throw new IllegalArgumentException("int tensors are written as I64 or I32, not " + intType);
    }
    Map<String, Item> items = items(path, floats, ints, intType);
    for (Map.Entry<String, byte[]> e : bytes.entrySet()) {
      checkName(path, e.getKey(), e.getValue());
      if (items.containsKey(e.getKey())) throw new IllegalArgumentException(path + ": tensor \"" + e.getKey() + "\" is given twice");
      items.put(e.getKey(), new Item(e.getKey(), DType.U8, new int[] {e.getValue().length}, null, null, e.getValue()));
    }
    byte[] header = header(path, items, metadata);

    Path target = path.toAbsolutePath();
    Path dir = target.getParent();
    if (dir == null || !Files.isDirectory(dir)) {
      throw new SafetensorsException(path + ": cannot write, directory " + dir + " does not exist");
    }
    Path tmp = Files.createTempFile(dir, "." + target.getFileName() + ".", ".tmp");
    boolean done = false;
    try {
      try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
        OutputStream out = Channels.newOutputStream(ch); // not closed separately: closing ch suffices
        ByteBuffer len = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(header.length);
        out.write(len.array());
        out.write(header);
        for (Item it : items.values()) data(out, it);
        ch.force(true); // durable before it becomes visible under the target name
      }
      Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      done = true;
    } finally {
      if (!done) Files.deleteIfExists(tmp);
    }
  }

  private static Map<String, Item> items(Path path, Map<String, Tensor> floats, Map<String, IntTensor> ints,
      DType intType) {
    Map<String, Item> items = new TreeMap<>(); // sorted names, the order the data are laid out in
    for (Map.Entry<String, Tensor> e : floats.entrySet()) {
      checkName(path, e.getKey(), e.getValue());
      items.put(e.getKey(), new Item(e.getKey(), DType.F32, e.getValue().shape(), e.getValue(), null));
    }
    for (Map.Entry<String, IntTensor> e : ints.entrySet()) {
      checkName(path, e.getKey(), e.getValue());
      if (items.containsKey(e.getKey())) {
        throw new IllegalArgumentException(path + ": tensor \"" + e.getKey() + "\" is given both as float and as int");
      }
      items.put(e.getKey(), new Item(e.getKey(), intType, e.getValue().shape(), null, e.getValue().storage()));
    }
    return items;
  }

  private static void checkName(Path path, String name, Object tensor) {
    if (name == null || name.isEmpty() || name.equals(HeaderParser.METADATA)) {
      throw new IllegalArgumentException(path + ": invalid tensor name \"" + name + "\"");
    }
    if (tensor == null) throw new IllegalArgumentException(path + ": tensor \"" + name + "\" is null");
  }

  /** The JSON header, padded with spaces to a multiple of 8 bytes as the Hugging Face writer does. */
  private static byte[] header(Path path, Map<String, Item> items, Map<String, String> metadata) throws IOException {
    Map<String, Object> root = new LinkedHashMap<>();
    if (!metadata.isEmpty()) {
      Map<String, String> meta = new TreeMap<>();
      for (Map.Entry<String, String> e : metadata.entrySet()) {
        if (e.getKey() == null || e.getValue() == null) {
          throw new IllegalArgumentException(path + ": metadata entry " + e.getKey() + " = " + e.getValue()
              + " has a null; metadata is string -> string");
        }
        meta.put(e.getKey(), e.getValue());
      }
      root.put(HeaderParser.METADATA, meta);
    }
    long at = 0;
    for (Item it : items.values()) {
      Map<String, Object> entry = new LinkedHashMap<>();
      entry.put("dtype", it.dtype().name());
      entry.put("shape", it.shape());
      entry.put("data_offsets", new long[] {at, at + it.bytes()});
      root.put(it.name(), entry);
      at += it.bytes();
    }
    byte[] json = JSON.writeValueAsString(root).getBytes(StandardCharsets.UTF_8);
    int padded = (json.length + 7) / 8 * 8;
    byte[] out = new byte[padded];
    System.arraycopy(json, 0, out, 0, json.length);
    for (int i = json.length; i < padded; i++) out[i] = ' ';
    return out;
  }

  private static void data(OutputStream out, Item it) throws IOException {
    if (it.raw() != null) {
      out.write(it.raw());
      return;
    }
    Tensor t = it.floats() != null ? it.floats().contiguous() : null; // a copy only for a strided view
    float[] floats = t != null ? t.storage() : null;
    int base = t != null ? t.offset() : 0;
    int n = t != null ? t.numel() : it.ints().length;
    ByteBuffer buf = ByteBuffer.allocate(CHUNK * it.dtype().size()).order(ByteOrder.LITTLE_ENDIAN);
    for (int start = 0; start < n; start += CHUNK) {
      int end = Math.min(n, start + CHUNK);
      buf.clear();
      switch (it.dtype()) {
        case F32 -> buf.asFloatBuffer().put(floats, base + start, end - start); // bulk: views keep the byte order
        case I32 -> buf.asIntBuffer().put(it.ints(), start, end - start);
        case I64 -> { for (int i = start; i < end; i++) buf.putLong(it.ints()[i]); }
        default -> throw new AssertionError(it.dtype());
      }
      out.write(buf.array(), 0, (end - start) * it.dtype().size());
    }
  }
}
