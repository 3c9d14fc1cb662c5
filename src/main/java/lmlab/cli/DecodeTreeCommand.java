package lmlab.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import lmlab.decode.Eos;
import lmlab.decode.Sequence;
import lmlab.decode.Strategy;
import lmlab.decode.TokenSink;
import lmlab.decode.TreeLm;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code lmlab decode-tree}: the decoding strategies on a tree language model from JSON (decoding.md). */
@Command(
    name = "decode-tree",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    description = {
      "Decode a tree language model (decoding.md): JSON {\"token\": \"<BOS>\", \"children\": [{\"token\": "
          + "\"the\", \"logprob\": -0.4, \"children\": [...]}, ...]} (\"prob\" may replace \"logprob\").",
      "A token absent from a node's children has probability 0; a leaf ends its sequence (the "
          + "end-of-sequence token, the root's \"eos\" or <EOS>, follows with probability 1). Prints each "
          + "sequence with its log-likelihood and probability, best first; see examples/decoding/tree.json.",
      ""
    })
public final class DecodeTreeCommand implements Runnable {
  private static final ObjectMapper JSON = new ObjectMapper();

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Parameters(index = "0", paramLabel = "TREE.json", description = "The tree.")
  Path tree;

  @CommandLine.Mixin DecodingOptions decoding;

  @Option(names = "--max-new-tokens", paramLabel = "T",
      description = "Most tokens after the root (default: the tree's depth, its end-of-sequence token included).")
  Integer maxNewTokens;

  @Option(names = "--format", paramLabel = "FORMAT", defaultValue = "text", description = "text or json. Default: ${DEFAULT-VALUE}")
  String format;

  @Override
  public void run() {
    CommandLine cl = spec.commandLine();
    Strategy s = decoding.validate(cl);
    if (!format.equals("text") && !format.equals("json")) {
      throw new CommandLine.ParameterException(cl, "--format '" + format + "' is not one of text, json");
    }
    if (maxNewTokens != null) Flags.atLeast(cl, "--max-new-tokens", maxNewTokens, 0);
    TreeLm lm;
    try {
      lm = TreeLm.read(tree);
    } catch (IllegalArgumentException e) {
      throw new CommandLine.ExecutionException(cl, e.getMessage(), e);
    }
    int t = maxNewTokens != null ? maxNewTokens : lm.depth();
    List<Sequence> result;
    try {
      result = decoding.run(cl, s, lm, new int[] {lm.bos()}, t, Eos.of(lm.eos()), TokenSink.NONE);
    } catch (IllegalArgumentException e) {
      throw new CommandLine.ExecutionException(cl, e.getMessage(), e);
    }
    PrintWriter out = cl.getOut();
    if (format.equals("json")) {
      ObjectNode root = JSON.createObjectNode();
      root.put("tree", tree.toString());
      root.put("strategy", s.label());
      root.put("max_new_tokens", t);
      ArrayNode seqs = root.putArray("sequences");
      for (Sequence q : result) {
        ObjectNode o = seqs.addObject();
        o.put("text", lm.text(q.tokens()));
        ArrayNode words = o.putArray("words");
        ArrayNode ids = o.putArray("tokens");
        ArrayNode lps = o.putArray("log_probs");
        for (int i = 0; i < q.length(); i++) {
          words.add(lm.token(q.tokens()[i]));
          ids.add(q.tokens()[i]);
          lps.add(q.logProbs()[i]);
        }
        o.put("log_likelihood", q.logLikelihood());
        o.put("probability", Math.exp(q.logLikelihood()));
        o.put("score", q.score());
      }
      try {
        out.println(JSON.writeValueAsString(root));
      } catch (IOException e) {
        throw new IllegalStateException(e);
      }
    } else {
      for (Sequence q : result) {
        out.printf(Locale.ROOT, "%-40s log p = %.6f   p = %.6f%s%n", lm.text(q.tokens()), q.logLikelihood(),
            Math.exp(q.logLikelihood()), q.score() != q.logLikelihood()
                ? String.format(Locale.ROOT, "   score %.6f", q.score()) : "");
      }
    }
    out.flush();
  }
}
