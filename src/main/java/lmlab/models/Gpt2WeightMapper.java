package lmlab.models;

import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import lmlab.io.WeightMapper;

/**
 * Hugging Face GPT-2 tensor names onto the one Transformer's (conventions.md). GPT-2 keeps its
 * projections in {@code Conv1D} modules, whose weight is stored (in, out), the transpose of a
 * Linear's (out, in); and it fuses the query, key and value projections into one
 * {@code attn.c_attn} of width 3d, in that order (transformers' {@code GPT2Attention}:
 * {@code query, key, value = self.c_attn(x).split(self.split_size, dim=2)}).
 *
 * <pre>
 * wte.weight                      model.embed_tokens.weight
 * wpe.weight                      model.embed_positions.weight
 * h.{i}.ln_1.{weight,bias}        model.layers.{i}.input_layernorm
 * h.{i}.attn.c_attn.weight (d,3d) model.layers.{i}.self_attn.{q,k,v}_proj.weight: columns [0,d), [d,2d), [2d,3d), transposed
 * h.{i}.attn.c_attn.bias (3d)     model.layers.{i}.self_attn.{q,k,v}_proj.bias
 * h.{i}.attn.c_proj               model.layers.{i}.self_attn.o_proj (weight transposed)
 * h.{i}.ln_2                      model.layers.{i}.post_attention_layernorm
 * h.{i}.mlp.c_fc                  model.layers.{i}.mlp.up_proj (weight transposed)
 * h.{i}.mlp.c_proj                model.layers.{i}.mlp.down_proj (weight transposed)
 * ln_f                            model.norm
 * lm_head.weight                  lm_head.weight (untied models); ignored when tied (it is wte)
 * h.{i}.attn.bias, .masked_bias   ignored: the causal mask buffers older transformers saved
 * </pre>
 *
 * Both spellings load: {@code transformer.}-prefixed names (what {@code save_pretrained} writes for
 * {@code GPT2LMHeadModel}) and the unprefixed names of the original Hub {@code gpt2} file (a
 * {@code GPT2Model} state dict). A name of neither form is passed through unchanged, so strict
 * loading reports it as unexpected.
 */
final class Gpt2WeightMapper implements WeightMapper {
  private static final Pattern LAYER = Pattern.compile("h\\.(\\d+)\\.(.+)");

  private final boolean tied;

  /** A mapper for a model whose head is tied to the token embedding (GPT-2's default) or not. */
  Gpt2WeightMapper(boolean tied) {
    this.tied = tied;
  }

  @Override
  public List<Piece> map(String stored, int[] shape) {
    if (stored.equals("lm_head.weight")) return tied ? List.of() : List.of(Piece.whole(stored));
    String name = stored.startsWith("transformer.") ? stored.substring("transformer.".length()) : stored;
    switch (name) {
      case "wte.weight": return List.of(Piece.whole("model.embed_tokens.weight"));
      case "wpe.weight": return List.of(Piece.whole("model.embed_positions.weight"));
      case "ln_f.weight": return List.of(Piece.whole("model.norm.weight"));
      case "ln_f.bias": return List.of(Piece.whole("model.norm.bias"));
      default: break;
    }
    Matcher m = LAYER.matcher(name);
    if (!m.matches()) return List.of(Piece.whole(stored));
    String layer = "model.layers." + m.group(1) + ".";
    String rest = m.group(2);
    return switch (rest) {
      case "attn.bias", "attn.masked_bias" -> List.of(); // mask buffers: the causal mask is computed, not loaded
      case "ln_1.weight", "ln_1.bias" -> List.of(Piece.whole(layer + "input_layernorm" + suffix(rest)));
      case "ln_2.weight", "ln_2.bias" -> List.of(Piece.whole(layer + "post_attention_layernorm" + suffix(rest)));
      case "attn.c_attn.weight", "attn.c_attn.bias" -> qkv(layer + "self_attn.", suffix(rest), shape);
      case "attn.c_proj.weight", "attn.c_proj.bias" -> conv1d(layer + "self_attn.o_proj", suffix(rest));
      case "mlp.c_fc.weight", "mlp.c_fc.bias" -> conv1d(layer + "mlp.up_proj", suffix(rest));
      case "mlp.c_proj.weight", "mlp.c_proj.bias" -> conv1d(layer + "mlp.down_proj", suffix(rest));
      default -> List.of(Piece.whole(stored));
    };
  }

  private static String suffix(String name) {
    return name.substring(name.lastIndexOf('.'));
  }

  /** A Conv1D's weight (in, out) is the Linear's (out, in) transposed; its bias is the same. */
  private static List<Piece> conv1d(String linear, String suffix) {
    Piece p = Piece.whole(linear + suffix);
    return List.of(suffix.equals(".weight") ? p.transposed() : p);
  }

  /**
   * c_attn's last dimension (3d) holds q, k and v side by side: three slices of width d along it,
   * each weight slice (d, d) transposed. A width not divisible by 3 is named.
   */
  private static List<Piece> qkv(String attn, String suffix, int[] shape) {
    int dim = shape.length - 1;
    if (shape.length == 0 || shape[dim] % 3 != 0) {
      throw new IllegalArgumentException("weight mapping: GPT-2 c_attn" + suffix + " of shape "
          + java.util.Arrays.toString(shape) + " cannot be split into q, k and v (its last dimension must be 3 x n_embd)");
    }
    int width = shape[dim] / 3;
    String[] proj = {"q_proj", "k_proj", "v_proj"};
    Piece[] out = new Piece[3];
    for (int j = 0; j < 3; j++) {
      Piece p = Piece.slice(attn + proj[j] + suffix, dim, j * width, width);
      out[j] = suffix.equals(".weight") ? p.transposed() : p;
    }
    return List.of(out);
  }
}
