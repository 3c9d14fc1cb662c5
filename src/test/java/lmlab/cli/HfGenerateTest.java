package lmlab.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import lmlab.cli.MainTest.Run;
import lmlab.decode.Eos;
import lmlab.decode.Greedy;
import lmlab.decode.Sample;
import lmlab.decode.Sampling;
import lmlab.decode.SteppedModel;
import lmlab.decode.TokenSink;
import lmlab.models.Transformer;
import lmlab.testing.HfDirs;
import lmlab.tokenize.Tokenizer;
import lmlab.tokenize.TokenizerFiles;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue #18 acceptance 3 (generate) and 5: {@code lmlab generate} on Hugging Face directories with
 * the real tokenizers (the reference directories of {@link HfDirs}). Expected text: the lmlab model
 * that wrote the directory, decoded by the library (greedy or sampling) from the ids the fixtures
 * give for the prompt (chat_vectors.jsonl for chat prompts), then detokenised.
 */
class HfGenerateTest {
  static final ObjectMapper JSON = new ObjectMapper();

  @TempDir static Path tmp;
  static Path gpt2;
  static Path qwen;
  static Transformer gpt2Model;
  static Transformer qwenModel;

  @BeforeAll
  static void directories() throws IOException {
    HfDirs.requireTokenizers();
    gpt2 = tmp.resolve("gpt2");
    gpt2Model = HfDirs.gpt2Dir(gpt2, 11);
    gpt2Model.eval();
    qwen = tmp.resolve("qwen2");
    qwenModel = HfDirs.qwen2ChatDir(qwen, 12, "BF16");
    qwenModel.eval();
  }

  /** The fixture's case of chat_vectors.jsonl (template qwen2.5). */
  static JsonNode chatVector(String name) throws IOException {
    for (String line : Files.readAllLines(HfDirs.TOKENIZERS.resolve("chat_vectors.jsonl"))) {
      JsonNode n = JSON.readTree(line);
      if (n.get("template").asText().equals("qwen2.5") && n.get("name").asText().equals(name)) return n;
    }
    throw new AssertionError("no chat vector " + name);
  }

  static int[] ints(JsonNode a) {
    int[] out = new int[a.size()];
    for (int i = 0; i < out.length; i++) out[i] = a.get(i).asInt();
    return out;
  }

  static String greedyText(Transformer m, Tokenizer tok, int[] prompt, int n, Eos eos) {
    int[] t = Greedy.search(new SteppedModel(m), prompt, n, eos, TokenSink.NONE).tokens();
    return tok.decode(t, true);
  }

  @Test
  void aGpt2LayoutDirectoryGeneratesTheLmlabModelsText() throws IOException {
    Tokenizer tok = TokenizerFiles.load(gpt2);
    int[] prompt = tok.encode("Hello, world");
    assertThat(prompt).containsExactly(15496, 11, 995); // GPT-2's ids (tiktoken: "hello world" → 31373, 995)
    Run r = MainTest.run("generate", "--model", gpt2.toString(), "--prompt", "Hello, world", "--max-new-tokens", "12");
    assertThat(r.code()).as(r.err()).isZero();
    String expected = "Hello, world" + greedyText(gpt2Model, tok, prompt, 12, Eos.of(50256));
    assertThat(r.out()).isEqualTo(expected + System.lineSeparator());
    // bf16 weights: the same command works and streams a continuation of the prompt
    Run b = MainTest.run("generate", "--model", gpt2.toString(), "--prompt", "Hello, world", "--max-new-tokens", "12",
        "--weights", "bf16");
    assertThat(b.code()).as(b.err()).isZero();
    assertThat(b.out()).startsWith("Hello, world");
    // a bf16 KV cache: the same command works too
    Run kv = MainTest.run("generate", "--model", gpt2.toString(), "--prompt", "Hello, world", "--max-new-tokens", "12",
        "--kv-cache", "bf16");
    assertThat(kv.code()).as(kv.err()).isZero();
    assertThat(kv.out()).startsWith("Hello, world");
  }

  @Test
  void chatWrapsThePromptInTheQwenTemplateAndHonoursGenerationConfig() throws IOException {
    Tokenizer tok = TokenizerFiles.load(qwen).withModelVocabSize(151936);
    Eos eos = Eos.of(List.of(151645, 151643));
    // --system + --chat: the rendered prompt's ids are the fixture's (system_user_generation_prompt)
    JsonNode v = chatVector("system_user_generation_prompt");
    String sys = v.get("messages").get(0).get("content").asText();
    String user = v.get("messages").get(1).get("content").asText();
    Run r = MainTest.run("generate", "--model", qwen.toString(), "--chat", "--system", sys, "--prompt", user,
        "--strategy", "greedy", "--max-new-tokens", "10", "--format", "json");
    assertThat(r.code()).as(r.err()).isZero();
    JsonNode j = JSON.readTree(r.out());
    assertThat(ints(j.get("prompt_tokens"))).containsExactly(ints(v.get("ids")));
    // streamed text: only the answer, the lmlab model's greedy continuation of those ids
    JsonNode single = chatVector("single_user_generation_prompt");
    int[] ids = ints(single.get("ids"));
    String prompt = single.get("messages").get(0).get("content").asText();
    Run g = MainTest.run("generate", "--model", qwen.toString(), "--chat", "--prompt", prompt, "--strategy", "greedy",
        "--max-new-tokens", "10");
    assertThat(g.code()).as(g.err()).isZero();
    assertThat(g.out()).isEqualTo(greedyText(qwenModel, tok, ids, 10, eos) + System.lineSeparator());
    // no --strategy: generation_config.json samples (temperature 0.7, top-k 20, top-p 0.8, repetition penalty 1.05)
    Run s = MainTest.run("generate", "--model", qwen.toString(), "--chat", "--prompt", prompt, "--max-new-tokens", "10",
        "--seed", "5");
    assertThat(s.code()).as(s.err()).isZero();
    assertThat(s.err()).contains("generation_config.json defaults: do_sample=true temperature=0.7 top_k=20 top_p=0.8"
        + " repetition_penalty=1.05");
    int[] sampled = Sample.generate(new SteppedModel(qwenModel), ids, 10, eos, new Sampling(0.7, 20, 0.8, 0.0, 1.05, 5),
        TokenSink.NONE).tokens();
    assertThat(s.out()).isEqualTo(tok.decode(sampled, true) + System.lineSeparator());
  }

  @Test
  void badInputIsOneLine() throws IOException {
    // a prompt longer than the context (256 positions)
    // 300 tokens: "word" then " word" 299 times (a trailing space would be a 301st token, "Ġ")
    String longPrompt = "word ".repeat(300).strip();
    Run r = MainTest.run("generate", "--model", qwen.toString(), "--prompt", longPrompt, "--strategy", "greedy");
    assertThat(r.code()).isEqualTo(1);
    assertThat(r.err()).contains("the prompt has 300 tokens; the model's context is 256 (max_position_embeddings)");
    assertThat(r.err().strip().lines()).hasSize(1);
    // a tokenizer larger than the model's vocabulary
    Path small = tmp.resolve("small-vocab");
    Files.createDirectories(small);
    Transformer m = new Transformer(lmlab.models.TransformerConfig.builder("gpt2").set("vocab_size", 50000)
        .set("hidden_size", 16).set("num_attention_heads", 4).set("num_hidden_layers", 1)
        .set("max_position_embeddings", 16).build(), 1);
    HfDirs.writeJson(small, "config.json", HfDirs.gpt2Config(m.transformerConfig()));
    HfDirs.write(small.resolve("model.safetensors"), HfDirs.gpt2Layout(m.stateDict(), 1, 16, true, false), "F32");
    Files.copy(gpt2.resolve("vocab.json"), small.resolve("vocab.json"));
    Files.copy(gpt2.resolve("merges.txt"), small.resolve("merges.txt"));
    Run v = MainTest.run("generate", "--model", small.toString(), "--prompt", "Hi");
    assertThat(v.code()).isEqualTo(1);
    assertThat(v.err()).contains("the model's vocabulary has 50000 ids but the tokenizer").contains("50257 tokens");
    assertThat(v.err().strip().lines()).hasSize(1);
    // a model_type lmlab cannot run, named with the list it can
    Path bert = Files.createDirectories(tmp.resolve("bert"));
    Files.writeString(bert.resolve("config.json"), "{\"model_type\": \"bert\"}");
    Run b = MainTest.run("generate", "--model", bert.toString(), "--prompt", "Hi");
    assertThat(b.code()).isEqualTo(1);
    assertThat(b.err()).contains("\"bert\"").contains("gpt2").contains("llama").contains("qwen2").contains("mistral");
    assertThat(b.err().strip().lines()).hasSize(1);
    // --chat on a tokenizer without a chat template; --weights of an unknown format
    Run c = MainTest.run("generate", "--model", gpt2.toString(), "--prompt", "Hi", "--chat");
    assertThat(c.code()).isEqualTo(2);
    assertThat(c.err()).contains("--chat: the tokenizer has no chat_template");
    Run w = MainTest.run("generate", "--model", gpt2.toString(), "--prompt", "Hi", "--weights", "fp8");
    assertThat(w.code()).isEqualTo(2);
    assertThat(w.err()).contains("--weights: weights 'fp8' is not a format; expected f32 or bf16");
    Run k = MainTest.run("generate", "--model", gpt2.toString(), "--prompt", "Hi", "--kv-cache", "f8");
    assertThat(k.code()).isEqualTo(2);
    assertThat(k.err()).contains("--kv-cache: 'f8' is not a KV cache format; expected f32 or bf16");
  }
}
