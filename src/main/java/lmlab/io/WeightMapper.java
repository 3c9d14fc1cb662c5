package lmlab.io;

import java.util.Arrays;
import java.util.List;

/**
 * How a checkpoint's stored tensors become a model's tensors, one model_type at a time: each stored
 * tensor gives none (ignored: GPT-2's attention mask buffers), one (renamed, maybe transposed) or
 * several model tensors (a fused tensor split: GPT-2's {@code c_attn} into q, k and v). The model
 * registry attaches one mapper per model_type; lmlab's own checkpoints use {@link #IDENTITY}.
 *
 * <p>A mapper only describes; {@link WeightFiles#mapped} applies it while reading, copying each
 * piece from the memory-mapped file straight into the parameter it names, so a mapped load holds
 * one copy of the model like an unmapped one.
 */
@FunctionalInterface
public interface WeightMapper {
  /**
   * The model tensors a stored tensor provides. storedShape is its shape in the file. An empty
   * list means the stored tensor is deliberately ignored (reported as such, never as unexpected).
   */
  List<Piece> map(String storedName, int[] storedShape);

  /** Every stored tensor is the model tensor of the same name. */
  WeightMapper IDENTITY = (name, shape) -> List.of(Piece.whole(name));

  /**
   * One model tensor cut from a stored tensor: the range [start, start + length) along dim (the
   * whole tensor when dim is -1), then transposed if asked (a matrix only): Hugging Face's Conv1D
   * stores (in, out) where a Linear holds (out, in).
   */
  record Piece(String target, int dim, int start, int length, boolean transpose) {
    public Piece {
      if (target == null || target.isEmpty()) throw new IllegalArgumentException("weight mapping: empty target name");
      if (dim < -1 || (dim >= 0 && (start < 0 || length < 1))) {
        throw new IllegalArgumentException("weight mapping to '" + target + "': bad slice dim " + dim + " [" + start
            + ", +" + length + ")");
      }
    }

    /** The stored tensor as it is, under another name (or the same). */
    public static Piece whole(String target) {
      return new Piece(target, -1, 0, 0, false);
    }

    /** Rows [start, start + length) along dim of the stored tensor. */
    public static Piece slice(String target, int dim, int start, int length) {
      return new Piece(target, dim, start, length, false);
    }

    /** This piece, transposed (the stored tensor or the slice must be a matrix). */
    public Piece transposed() {
      return new Piece(target, dim, start, length, !transpose);
    }

    /** The model tensor's shape, given the stored shape; errors name the stored tensor and the target. */
    public int[] shape(String stored, int[] storedShape) {
      int[] s = storedShape.clone();
      if (dim >= 0) {
        if (dim >= s.length || start + length > s[dim]) {
          throw new IllegalArgumentException("weight mapping: '" + stored + "' of shape " + Arrays.toString(storedShape)
              + " has no range [" + start + ", " + (start + length) + ") along dim " + dim + " (for '" + target + "')");
        }
        s[dim] = length;
      }
      if (transpose) {
        if (s.length != 2) {
          throw new IllegalArgumentException("weight mapping: '" + stored + "' of shape " + Arrays.toString(storedShape)
              + " is not a matrix; it cannot be transposed into '" + target + "'");
        }
        return new int[] {s[1], s[0]};
      }
      return s;
    }

    /** "stored[:, 0:768]ᵀ" for messages. */
    public String describe(String stored, int rank) {
      StringBuilder sb = new StringBuilder(stored);
      if (dim >= 0) {
        sb.append('[');
        for (int d = 0; d < rank; d++) {
          if (d > 0) sb.append(", ");
          sb.append(d == dim ? start + ":" + (start + length) : ":");
        }
        sb.append(']');
      }
      if (transpose) sb.append(".T");
      return sb.toString();
    }
  }
}
