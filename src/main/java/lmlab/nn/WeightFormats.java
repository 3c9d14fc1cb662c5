package lmlab.nn;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import lmlab.io.CheckpointException;
import lmlab.io.TensorSource;
import lmlab.io.WeightFiles;
import lmlab.io.WeightMapper;
import lmlab.nn.weights.Bf16Weights;
import lmlab.tensor.Shape;
import lmlab.tensor.Tensor;

/**
 * The weight formats a model can decode with ({@code --weights f32|bf16}). float32 is the default
 * and exact; bf16 keeps every Linear weight matrix and the token embedding in bfloat16
 * ({@link Bf16Weights}), which halves the bytes a decoding step reads. Norms, biases and position
 * tables stay float32 (they are a small part of the model and are read as vectors).
 *
 * <p>The swap is module surgery ({@link Module#replaceChild}): each {@link Linear} becomes a Linear
 * over bf16 weights with the same bias, each {@link Embedding} a bf16 table; names and places in
 * the tree are unchanged, so every layer's forward and step run as before, through the new
 * weights' kernels. Subclasses of Linear (adapters) are refused: they would lose what they add.
 */
public enum WeightFormats {
  F32, BF16;

  /** "f32" / "float32" or "bf16" / "bfloat16"; anything else is an error listing them. */
  public static WeightFormats parse(String s) {
    return switch (s == null ? "" : s.trim().toLowerCase(Locale.ROOT)) {
      case "f32", "float32", "fp32" -> F32;
      case "bf16", "bfloat16" -> BF16;
      default -> throw new IllegalArgumentException("weights '" + s + "' is not a format; expected f32 or bf16");
    };
  }

  /** The name used on the command line. */
  public String label() {
    return name().toLowerCase(Locale.ROOT);
  }

  /**
   * Loads dir's weights into an uninitialised module through mapper, in this format. float32:
   * {@link ModuleCheckpoint#loadWeights} (strict). bf16: the files stay mapped, each Linear weight
   * and embedding table becomes bf16 (a view of the file when it is stored as bf16 in that layout,
   * else rounded once into the heap), then the remaining tensors load strictly as usual.
   */
  public LoadReport load(Path dir, Module module, WeightMapper mapper) throws IOException {
    if (this == F32) return ModuleCheckpoint.loadWeights(dir, module, mapper, true);
    try (WeightFiles files = WeightFiles.openKept(dir)) {
      TensorSource source = files.mapped(mapper);
      List<String> taken = toBf16(module, source);
      return module.loadStateDict(without(source, taken), true);
    } catch (IllegalArgumentException e) {
      throw new CheckpointException("checkpoint " + dir + ": " + e.getMessage(), e);
    }
  }

  /** A float32 module in memory converted to bf16 in place (weights rounded to nearest even): bench and tests. */
  public static void toBf16(Module module) {
    Map<String, Tensor> state = module.stateDict();
    toBf16(module, TensorSource.of(state));
  }

  /**
   * Replaces every Linear and Embedding of module by its bf16 form, reading each weight matrix from
   * source (checked for presence and shape first; nothing is replaced when one is missing or
   * mis-shaped). Returns the source names it took.
   */
  static List<String> toBf16(Module module, TensorSource source) {
    Map<String, Module> swap = new LinkedHashMap<>();
    for (var e : module.namedModules().entrySet()) {
      Module m = e.getValue();
      if (m instanceof Linear || m instanceof Embedding) {
        if (m instanceof Linear lin && lin.getClass() != Linear.class) {
          throw new IllegalArgumentException("'" + e.getKey() + "' is a " + lin.getClass().getSimpleName()
              + ", which bf16 weights cannot hold (merge or drop it first)");
        }
        if (e.getKey().isEmpty()) throw new IllegalArgumentException("bf16 weights: the root module cannot be swapped");
        swap.put(e.getKey(), m);
      }
    }
    List<String> taken = new ArrayList<>();
    for (var e : swap.entrySet()) {
      String name = e.getKey() + ".weight";
      int[] want = e.getValue() instanceof Linear lin ? new int[] {lin.outFeatures(), lin.inFeatures()}
          : ((Embedding) e.getValue()).shape();
      if (!source.names().contains(name)) {
        throw new IllegalArgumentException("checkpoint is missing tensor '" + name + "' (expected shape " + Shape.str(want) + ")");
      }
      int[] got = source.shape(name);
      if (!Shape.same(got, want)) {
        String o = source.origin(name);
        throw new IllegalArgumentException("checkpoint tensor '" + name + "'" + (o.equals(name) ? "" : " (from " + o + ")")
            + " has shape " + Shape.str(got) + ", the model expects " + Shape.str(want));
      }
      taken.add(name);
    }
    for (var e : swap.entrySet()) {
      String name = e.getKey() + ".weight";
      int[] s = source.shape(name);
      Bf16Weights w = new Bf16Weights(source.bf16(name), s[0], s[1]);
      Module replacement = e.getValue() instanceof Linear lin ? new Linear(w, lin.bias()) : new Embedding(w);
      module.replaceChild(e.getKey(), replacement); // the float32 matrix is garbage from here
    }
    return taken;
  }

  /** source minus the given names. */
  private static TensorSource without(TensorSource source, List<String> taken) {
    List<String> names = new ArrayList<>(source.names());
    names.removeAll(taken);
    List<String> kept = List.copyOf(names);
    return new TensorSource() {
      @Override
      public List<String> names() {
        return kept;
      }

      @Override
      public int[] shape(String name) {
        return source.shape(name);
      }

      @Override
      public void readInto(String name, float[] dst, int offset) {
        source.readInto(name, dst, offset);
      }

      @Override
      public String origin(String name) {
        return source.origin(name);
      }

      @Override
      public List<String> ignored() {
        return source.ignored();
      }
    };
  }
}
