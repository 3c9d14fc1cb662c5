package lmlab.testing;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import lmlab.kernels.Bf16;
import lmlab.models.Transformer;
import lmlab.models.TransformerConfig;
import lmlab.tensor.Tensor;

/**
 * Hugging Face model directories written by tests: safetensors in F32, BF16 or F16 (one file or
 * shards with model.safetensors.index.json), config.json with Hugging Face's keys only, and
 * GPT-2's layout computed here from lmlab-named weights, independently of the loader's mapper
 * (concatenate q, k, v into c_attn; transpose every Conv1D weight to (in, out)).
 */
public final class HfDirs {
  public static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  private HfDirs() {}

  /** One safetensors file of tensors in dtype F32, BF16 (rounded to nearest even) or F16, names sorted, no padding. */
  public static void write(Path file, Map<String, Tensor> tensors, String dtype) throws IOException {
    int size = dtype.equals("F32") ? 4 : 2;
    Map<String, Tensor> sorted = new TreeMap<>(tensors);
    ObjectNode header = JSON.createObjectNode();
    header.putObject("__metadata__").put("format", "pt");
    long at = 0;
    for (var e : sorted.entrySet()) {
      long n = (long) e.getValue().numel() * size;
      ObjectNode t = header.putObject(e.getKey());
      t.put("dtype", dtype);
      var shape = t.putArray("shape");
      for (int d : e.getValue().shape()) shape.add(d);
      t.putArray("data_offsets").add(at).add(at + n);
      at += n;
    }
    byte[] h = new ObjectMapper().writeValueAsBytes(header);
    try (var ch = java.nio.channels.FileChannel.open(file, java.nio.file.StandardOpenOption.CREATE,
        java.nio.file.StandardOpenOption.TRUNCATE_EXISTING, java.nio.file.StandardOpenOption.WRITE)) {
      writeFully(ch, ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(h.length).flip());
      writeFully(ch, ByteBuffer.wrap(h));
      for (Tensor t : sorted.values()) {
        float[] v = t.contiguous().toArray();
        ByteBuffer b = ByteBuffer.allocate(v.length * size).order(ByteOrder.LITTLE_ENDIAN);
        for (float f : v) {
          switch (dtype) {
            case "F32" -> b.putFloat(f);
            case "BF16" -> b.putShort(Bf16.fromFloat(f));
            case "F16" -> b.putShort(Float.floatToFloat16(f));
            default -> throw new IllegalArgumentException(dtype);
          }
        }
        writeFully(ch, b.flip());
      }
    }
  }

  private static void writeFully(java.nio.channels.FileChannel ch, ByteBuffer b) throws IOException {
    while (b.hasRemaining()) ch.write(b);
  }

  /** The tensors in n shards (model-0000i-of-0000n.safetensors, names dealt round-robin) and the index. */
  public static void writeSharded(Path dir, Map<String, Tensor> tensors, String dtype, int n) throws IOException {
    List<Map<String, Tensor>> shards = new ArrayList<>();
    for (int i = 0; i < n; i++) shards.add(new LinkedHashMap<>());
    ObjectNode index = JSON.createObjectNode();
    index.putObject("metadata").put("total_size", 0);
    ObjectNode map = index.putObject("weight_map");
    int k = 0;
    for (var e : new TreeMap<>(tensors).entrySet()) {
      int s = k++ % n;
      shards.get(s).put(e.getKey(), e.getValue());
      map.put(e.getKey(), String.format("model-%05d-of-%05d.safetensors", s + 1, n));
    }
    for (int i = 0; i < n; i++) write(dir.resolve(String.format("model-%05d-of-%05d.safetensors", i + 1, n)), shards.get(i), dtype);
    Files.writeString(dir.resolve("model.safetensors.index.json"), JSON.writeValueAsString(index));
  }

  /**
   * An lmlab-named GPT-2-style Transformer's weights in Hugging Face GPT-2 names: prefixed with
   * {@code transformer.} (save_pretrained of GPT2LMHeadModel) or not (the Hub's original gpt2
   * file), with the causal-mask buffers {@code attn.bias} / {@code attn.masked_bias} when asked.
   */
  public static Map<String, Tensor> gpt2Layout(Map<String, Tensor> lmlab, int layers, int positions, boolean prefixed,
      boolean maskBuffers) {
    String p = prefixed ? "transformer." : "";
    Map<String, Tensor> out = new TreeMap<>();
    out.put(p + "wte.weight", lmlab.get("model.embed_tokens.weight"));
    out.put(p + "wpe.weight", lmlab.get("model.embed_positions.weight"));
    for (int i = 0; i < layers; i++) {
      String l = "model.layers." + i + ".";
      String h = p + "h." + i + ".";
      out.put(h + "ln_1.weight", lmlab.get(l + "input_layernorm.weight"));
      out.put(h + "ln_1.bias", lmlab.get(l + "input_layernorm.bias"));
      out.put(h + "ln_2.weight", lmlab.get(l + "post_attention_layernorm.weight"));
      out.put(h + "ln_2.bias", lmlab.get(l + "post_attention_layernorm.bias"));
      String a = l + "self_attn.";
      // c_attn (d, 3d): [Wq; Wk; Wv] (3d, d) transposed, so c_attn(x) = x @ W splits into q | k | v
      out.put(h + "attn.c_attn.weight", Tensor.cat(List.of(lmlab.get(a + "q_proj.weight"), lmlab.get(a + "k_proj.weight"),
          lmlab.get(a + "v_proj.weight")), 0).transpose(0, 1).contiguous());
      out.put(h + "attn.c_attn.bias", Tensor.cat(List.of(lmlab.get(a + "q_proj.bias"), lmlab.get(a + "k_proj.bias"),
          lmlab.get(a + "v_proj.bias")), 0));
      out.put(h + "attn.c_proj.weight", lmlab.get(a + "o_proj.weight").transpose(0, 1).contiguous());
      out.put(h + "attn.c_proj.bias", lmlab.get(a + "o_proj.bias"));
      out.put(h + "mlp.c_fc.weight", lmlab.get(l + "mlp.up_proj.weight").transpose(0, 1).contiguous());
      out.put(h + "mlp.c_fc.bias", lmlab.get(l + "mlp.up_proj.bias"));
      out.put(h + "mlp.c_proj.weight", lmlab.get(l + "mlp.down_proj.weight").transpose(0, 1).contiguous());
      out.put(h + "mlp.c_proj.bias", lmlab.get(l + "mlp.down_proj.bias"));
      if (maskBuffers) {
        float[] tril = new float[positions * positions];
        for (int r = 0; r < positions; r++) for (int c = 0; c <= r; c++) tril[r * positions + c] = 1;
        out.put(h + "attn.bias", Tensor.of(tril, 1, 1, positions, positions));
        out.put(h + "attn.masked_bias", Tensor.scalar(-1e4f));
      }
    }
    out.put(p + "ln_f.weight", lmlab.get("model.norm.weight"));
    out.put(p + "ln_f.bias", lmlab.get("model.norm.bias"));
    if (lmlab.containsKey("lm_head.weight")) out.put("lm_head.weight", lmlab.get("lm_head.weight"));
    return out;
  }

  /** GPT2Config's keys for a GPT-2-shaped lmlab config (learned positions, LayerNorm, biases, gelu_tanh). */
  public static ObjectNode gpt2Config(TransformerConfig c) {
    ObjectNode j = JSON.createObjectNode();
    j.putArray("architectures").add("GPT2LMHeadModel");
    j.put("activation_function", "gelu_new");
    j.put("attn_pdrop", 0.0).put("embd_pdrop", 0.0).put("resid_pdrop", 0.0);
    j.put("bos_token_id", 50256).put("eos_token_id", 50256);
    j.put("initializer_range", 0.02);
    j.put("layer_norm_epsilon", c.normEps());
    j.put("model_type", "gpt2");
    j.put("n_ctx", c.maxPositionEmbeddings());
    j.put("n_embd", c.hiddenSize());
    j.put("n_head", c.numAttentionHeads());
    j.putNull("n_inner");
    j.put("n_layer", c.numHiddenLayers());
    j.put("n_positions", c.maxPositionEmbeddings());
    j.put("scale_attn_weights", true);
    j.put("tie_word_embeddings", c.tieWordEmbeddings());
    j.put("torch_dtype", "float32");
    j.put("transformers_version", "4.40.1");
    j.put("use_cache", true);
    j.put("vocab_size", c.vocabSize());
    return j;
  }

  /** Qwen2Config's keys for a Qwen2-shaped lmlab config, as Hugging Face writes them. */
  public static ObjectNode qwen2Config(TransformerConfig c, int bos, int eos) {
    ObjectNode j = JSON.createObjectNode();
    j.putArray("architectures").add("Qwen2ForCausalLM");
    j.put("attention_dropout", 0.0);
    j.put("bos_token_id", bos).put("eos_token_id", eos);
    j.put("hidden_act", "silu");
    j.put("hidden_size", c.hiddenSize());
    j.put("initializer_range", 0.02);
    j.put("intermediate_size", c.intermediateSize());
    j.put("max_position_embeddings", c.maxPositionEmbeddings());
    j.put("max_window_layers", c.numHiddenLayers());
    j.put("model_type", "qwen2");
    j.put("num_attention_heads", c.numAttentionHeads());
    j.put("num_hidden_layers", c.numHiddenLayers());
    j.put("num_key_value_heads", c.numKeyValueHeads());
    j.put("rms_norm_eps", c.normEps());
    j.put("rope_theta", c.ropeTheta());
    j.put("sliding_window", c.maxPositionEmbeddings());
    j.put("tie_word_embeddings", c.tieWordEmbeddings());
    j.put("torch_dtype", "bfloat16");
    j.put("transformers_version", "4.43.1");
    j.put("use_cache", true);
    j.put("use_sliding_window", false);
    j.put("vocab_size", c.vocabSize());
    return j;
  }

  /** The shared tokenizer fixtures (read in place: the Qwen tokenizer.json is 11 MB). */
  public static final Path TOKENIZERS = Path.of("..", "shared", "fixtures", "tokenizers");

  /** Skips the calling test, with a printed reason, when the shared tokenizer fixtures are absent. */
  public static void requireTokenizers() {
    if (!Files.isDirectory(TOKENIZERS.resolve("qwen3")) || !Files.isDirectory(TOKENIZERS.resolve("gpt2"))) {
      String reason = "skipped: " + TOKENIZERS.toAbsolutePath().normalize() + " is absent";
      System.out.println(reason);
      org.junit.jupiter.api.Assumptions.assumeTrue(false, reason);
    }
  }

  /**
   * The Qwen2 reference directory: a tiny random Qwen2 (vocabulary 151,936 as Qwen2.5 pads it, d 16,
   * 2 layers, 4 query / 2 key-value heads, tied) in Hugging Face's layout and dtype, with the real
   * Qwen tokenizer (tokenizer.json of the fixtures), Qwen2.5-Instruct's chat template and eos
   * {@code <|im_end|>} in tokenizer_config.json, and Qwen2.5-Instruct's generation_config.json. Returns
   * the lmlab model written, whose own forward and decoding are the reference.
   */
  public static Transformer qwen2ChatDir(Path dir, long seed, String dtype) throws IOException {
    requireTokenizers();
    TransformerConfig c = TransformerConfig.builder("qwen2").set("vocab_size", 151936).set("hidden_size", 16)
        .set("num_attention_heads", 4).set("num_key_value_heads", 2).set("intermediate_size", 24)
        .set("num_hidden_layers", 2).set("max_position_embeddings", 256).build();
    Transformer m = new Transformer(c, seed);
    Files.createDirectories(dir);
    writeJson(dir, "config.json", qwen2Config(c, 151643, 151645));
    write(dir.resolve("model.safetensors"), m.stateDict(), dtype);
    Files.copy(TOKENIZERS.resolve("qwen3/tokenizer.json"), dir.resolve("tokenizer.json"));
    ObjectNode tc = JSON.createObjectNode();
    tc.put("tokenizer_class", "Qwen2Tokenizer");
    tc.put("eos_token", "<|im_end|>");
    tc.put("pad_token", "<|endoftext|>");
    tc.putNull("bos_token");
    tc.put("add_bos_token", false);
    tc.put("chat_template", Files.readString(TOKENIZERS.resolve("qwen3/qwen2.5_chat_template.jinja")));
    writeJson(dir, "tokenizer_config.json", tc);
    ObjectNode g = JSON.createObjectNode();
    g.put("bos_token_id", 151643);
    g.put("do_sample", true);
    g.putArray("eos_token_id").add(151645).add(151643);
    g.put("pad_token_id", 151643);
    g.put("repetition_penalty", 1.05);
    g.put("temperature", 0.7);
    g.put("top_k", 20);
    g.put("top_p", 0.8);
    g.put("transformers_version", "4.37.0");
    writeJson(dir, "generation_config.json", g);
    return m;
  }

  /**
   * The GPT-2 reference directory: a tiny random GPT-2 (vocabulary 50,257, d 16, 2 layers, 4 heads,
   * 64 positions, tied) in Hugging Face's GPT-2 layout (transformer.-prefixed names, mask buffers,
   * F32) with the real GPT-2 vocab.json and merges.txt. Returns the lmlab model written.
   */
  public static Transformer gpt2Dir(Path dir, long seed) throws IOException {
    requireTokenizers();
    TransformerConfig c = TransformerConfig.builder("gpt2").set("hidden_size", 16).set("num_attention_heads", 4)
        .set("num_hidden_layers", 2).set("max_position_embeddings", 64).set("dropout", 0.0).build();
    Transformer m = new Transformer(c, seed);
    Files.createDirectories(dir);
    writeJson(dir, "config.json", gpt2Config(c));
    write(dir.resolve("model.safetensors"), gpt2Layout(m.stateDict(), 2, 64, true, true), "F32");
    Files.copy(TOKENIZERS.resolve("gpt2/vocab.json"), dir.resolve("vocab.json"));
    Files.copy(TOKENIZERS.resolve("gpt2/merges.txt"), dir.resolve("merges.txt"));
    return m;
  }

  /** Writes json as dir/name. */
  public static void writeJson(Path dir, String name, ObjectNode json) throws IOException {
    Files.writeString(dir.resolve(name), JSON.writeValueAsString(json) + "\n", StandardCharsets.UTF_8);
  }
}
