package lmlab.io;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The weights of a model directory, as Hugging Face lays them out: one {@code model.safetensors},
 * or shards listed by {@code model.safetensors.index.json} ({@code weight_map}: tensor name → shard
 * file in the same directory). Each file is opened once, memory-mapped (off the heap), and stays
 * open until {@link #close()}; tensors are read by range, straight into the caller's
 * arrays, so nothing here holds a copy of the model.
 */
public final class WeightFiles implements AutoCloseable {
  public static final String SINGLE = "model.safetensors";
  public static final String INDEX = "model.safetensors.index.json";

  private static final ObjectMapper JSON = new ObjectMapper();

  private final Path dir;
  /** tensor name → the file holding it, in name order. */
  private final Map<String, SafetensorsFile> byName;
  private final List<SafetensorsFile> files;

  private WeightFiles(Path dir, Map<String, SafetensorsFile> byName, List<SafetensorsFile> files) {
    this.dir = dir;
    this.byName = byName;
    this.files = files;
  }

  /** Whether dir holds weights in one of the two layouts. */
  public static boolean present(Path dir) {
    return Files.isRegularFile(dir.resolve(INDEX)) || Files.isRegularFile(dir.resolve(SINGLE));
  }

  /**
   * Opens dir's weights: the index and its shards when {@value #INDEX} is there, else
   * {@value #SINGLE}. Errors name the directory or file: no weights, a malformed index, a shard
   * that is missing or corrupt, a tensor the index puts in a shard that does not hold it.
   */
  public static WeightFiles open(Path dir) throws IOException {
    // Every file is mapped, however small: a file read onto the heap would be a second copy of
    // its tensors for as long as the load runs (all shards are open at once).
    return open(dir, 0, false);
  }

  /**
   * As {@link #open(Path)}, with the mappings kept: they stay valid after {@link #close()} for as
   * long as a view of them ({@link TensorSource#bf16}) is reachable, so bf16 weights can decode
   * straight from the files; the garbage collector unmaps them after.
   */
  public static WeightFiles openKept(Path dir) throws IOException {
    return open(dir, 0, true);
  }

  /** As {@link #open(Path)}, memory-mapping files above mapThreshold bytes (tests read some onto the heap). */
  static WeightFiles open(Path dir, long mapThreshold) throws IOException {
    return open(dir, mapThreshold, false);
  }

  private static WeightFiles open(Path dir, long mapThreshold, boolean kept) throws IOException {
    Path index = dir.resolve(INDEX);
    if (Files.isRegularFile(index)) return sharded(dir, index, mapThreshold, kept);
    Path single = dir.resolve(SINGLE);
    if (!Files.isRegularFile(single)) {
      throw new CheckpointException("checkpoint " + dir + ": no " + SINGLE + " and no " + INDEX
          + " (a checkpoint directory holds config.json and its weights)");
    }
    SafetensorsFile f = readFile(dir, single, mapThreshold, kept);
    Map<String, SafetensorsFile> byName = new LinkedHashMap<>();
    for (String n : f.names()) byName.put(n, f);
    return new WeightFiles(dir, byName, List.of(f));
  }

  private static WeightFiles sharded(Path dir, Path index, long mapThreshold, boolean kept) throws IOException {
    JsonNode root;
    try {
      root = JSON.readTree(index.toFile());
    } catch (IOException e) {
      throw new CheckpointException(index + ": malformed JSON: " + e.getMessage(), e);
    }
    JsonNode map = root == null ? null : root.get("weight_map");
    if (map == null || !map.isObject() || map.isEmpty()) {
      throw new CheckpointException(index + ": expected an object \"weight_map\" of tensor name -> shard file");
    }
    Map<String, SafetensorsFile> shards = new LinkedHashMap<>();
    Map<String, SafetensorsFile> byName = new TreeMap<>();
    try {
      for (var it = map.fields(); it.hasNext(); ) {
        var e = it.next();
        String file = e.getValue().isTextual() ? e.getValue().asText() : "";
        if (file.isEmpty() || file.contains("/") || file.contains("\\") || file.equals("..") || file.equals(".")) {
          throw new CheckpointException(index + ": weight_map[\"" + e.getKey() + "\"] = " + e.getValue()
              + "; expected a file name in the same directory");
        }
        SafetensorsFile f = shards.get(file);
        if (f == null) {
          Path p = dir.resolve(file);
          if (!Files.isRegularFile(p)) {
            throw new CheckpointException(index + ": shard " + file + " (of tensor '" + e.getKey() + "') does not exist");
          }
          f = readFile(dir, p, mapThreshold, kept);
          shards.put(file, f);
        }
        if (!f.has(e.getKey())) {
          throw new CheckpointException(index + ": tensor '" + e.getKey() + "' is mapped to " + file
              + ", which does not hold it");
        }
        byName.put(e.getKey(), f);
      }
    } catch (IOException | RuntimeException e) {
      shards.values().forEach(SafetensorsFile::close);
      throw e;
    }
    return new WeightFiles(dir, byName, List.copyOf(shards.values()));
  }

  private static SafetensorsFile readFile(Path dir, Path file, long mapThreshold, boolean kept) throws IOException {
    try {
      return Safetensors.read(file, mapThreshold, kept);
    } catch (SafetensorsException e) {
      throw new CheckpointException("checkpoint " + dir + ": " + file.getFileName() + " is corrupt: " + e.getMessage(), e);
    }
  }

  /** The directory read. */
  public Path dir() {
    return dir;
  }

  /** Every stored tensor name (file order for one file, sorted for shards). */
  public List<String> names() {
    return List.copyOf(byName.keySet());
  }

  public boolean has(String name) {
    return byName.containsKey(name);
  }

  public int[] shape(String name) {
    return file(name).shape(name);
  }

  public String dtype(String name) {
    return file(name).dtype(name);
  }

  /** The metadata of the first file (Hugging Face writes the same into every shard). */
  public Map<String, String> metadata() {
    return files.getFirst().metadata();
  }

  /** How many files hold the weights (1 unless sharded). */
  public int fileCount() {
    return files.size();
  }

  /** See {@link SafetensorsFile#readFloats}. */
  public void readFloats(String name, long from, float[] dst, int offset, int count) {
    file(name).readFloats(name, from, dst, offset, count);
  }

  private SafetensorsFile file(String name) {
    SafetensorsFile f = byName.get(name);
    if (f == null) throw new IllegalArgumentException("checkpoint " + dir + ": no tensor '" + name + "'");
    return f;
  }

  /**
   * The model's view of these weights through mapper: every stored tensor mapped to its pieces
   * (checked: a float type, the slice inside the tensor, no model name given twice), each read on
   * demand from the file straight into the destination.
   */
  public TensorSource mapped(WeightMapper mapper) throws CheckpointException {
    Map<String, Mapped> targets = new LinkedHashMap<>();
    List<String> ignored = new ArrayList<>();
    for (String stored : byName.keySet()) {
      int[] shape = shape(stored);
      List<WeightMapper.Piece> pieces;
      try {
        pieces = mapper.map(stored, shape);
      } catch (IllegalArgumentException e) {
        throw new CheckpointException("checkpoint " + dir + ": " + e.getMessage(), e);
      }
      if (pieces.isEmpty()) {
        ignored.add(stored);
        continue;
      }
      String dtype = dtype(stored);
      if (!DType.parse(dtype).isFloating()) {
        throw new CheckpointException("checkpoint " + dir + ": tensor '" + stored + "' is " + dtype
            + "; model parameters and buffers must be floating point");
      }
      for (WeightMapper.Piece p : pieces) {
        int[] target;
        try {
          target = p.shape(stored, shape);
        } catch (IllegalArgumentException e) {
          throw new CheckpointException("checkpoint " + dir + ": " + e.getMessage(), e);
        }
        Mapped prev = targets.put(p.target(), new Mapped(stored, shape, p, target));
        if (prev != null) {
          throw new CheckpointException("checkpoint " + dir + ": model tensor '" + p.target() + "' is mapped from both '"
              + prev.stored() + "' and '" + stored + "'");
        }
      }
    }
    return new MappedSource(targets, Collections.unmodifiableList(ignored));
  }

  /** A model tensor: the stored tensor, its shape, the piece cut from it, the resulting shape. */
  private record Mapped(String stored, int[] storedShape, WeightMapper.Piece piece, int[] shape) {}

  private final class MappedSource implements TensorSource {
    private final Map<String, Mapped> targets;
    private final List<String> ignored;

    MappedSource(Map<String, Mapped> targets, List<String> ignored) {
      this.targets = targets;
      this.ignored = ignored;
    }

    @Override
    public List<String> names() {
      return List.copyOf(targets.keySet());
    }

    @Override
    public int[] shape(String name) {
      return mapped(name).shape().clone();
    }

    @Override
    public String origin(String name) {
      Mapped m = mapped(name);
      String o = m.piece().describe(m.stored(), m.storedShape().length);
      return o.equals(name) ? name : o;
    }

    @Override
    public List<String> ignored() {
      return ignored;
    }

    @Override
    public boolean storedAsBf16(String name) {
      Mapped m = mapped(name);
      return m.piece().dim() < 0 && !m.piece().transpose() && DType.parse(dtype(m.stored())) == DType.BF16;
    }

    /** A BF16 tensor used whole is a view of its file; anything else is rounded from float32. */
    @Override
    public java.lang.foreign.MemorySegment bf16(String name) {
      if (!storedAsBf16(name)) return TensorSource.super.bf16(name);
      Mapped m = mapped(name);
      return file(m.stored()).bf16View(m.stored(), 0, numel(m.storedShape()));
    }

    @Override
    public void readInto(String name, float[] dst, int offset) {
      Mapped m = mapped(name);
      WeightMapper.Piece p = m.piece();
      int[] s = m.storedShape();
      if (p.transpose()) {
        readTransposed(m, dst, offset);
      } else if (p.dim() < 0) {
        readFloats(m.stored(), 0, dst, offset, Math.toIntExact(numel(s)));
      } else {
        // a slice along dim is `outer` contiguous runs of length·inner elements
        long outer = numel(Arrays.copyOfRange(s, 0, p.dim()));
        long inner = numel(Arrays.copyOfRange(s, p.dim() + 1, s.length));
        int run = Math.toIntExact(p.length() * inner);
        for (long o = 0; o < outer; o++) {
          readFloats(m.stored(), (o * s[p.dim()] + p.start()) * inner, dst, Math.toIntExact(offset + o * run), run);
        }
      }
    }

    /**
     * The (possibly sliced) stored matrix (r, c) read one row at a time into a row buffer and
     * scattered as column i of the target (c, r): one row of scratch, never a whole copy.
     */
    private void readTransposed(Mapped m, float[] dst, int offset) {
      WeightMapper.Piece p = m.piece();
      int rowsStored = m.storedShape()[0], colsStored = m.storedShape()[1];
      int r = p.dim() == 0 ? p.length() : rowsStored;
      int c = p.dim() == 1 ? p.length() : colsStored;
      int rowStart = p.dim() == 0 ? p.start() : 0;
      int colStart = p.dim() == 1 ? p.start() : 0;
      float[] row = new float[c];
      for (int i = 0; i < r; i++) {
        readFloats(m.stored(), (long) (rowStart + i) * colsStored + colStart, row, 0, c);
        for (int j = 0; j < c; j++) dst[offset + j * r + i] = row[j];
      }
    }

    private Mapped mapped(String name) {
      Mapped m = targets.get(name);
      if (m == null) throw new IllegalArgumentException("checkpoint " + dir + ": no model tensor '" + name + "'");
      return m;
    }
  }

  private static long numel(int[] shape) {
    long n = 1;
    for (int d : shape) n *= d;
    return n;
  }

  /** Closes every file (unmapping the mapped ones). */
  @Override
  public void close() {
    for (SafetensorsFile f : files) f.close();
  }
}
