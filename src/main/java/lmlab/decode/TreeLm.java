package lmlab.decode;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A tree-shaped language model for hand-made examples (decoding.md): JSON
 * {@code {"token": "<BOS>", "children": [{"token": "the", "logprob": -0.4, "children": [...]}, ...]}}.
 * A node's children are its possible next tokens with their log-probabilities ({@code "prob"} may
 * be given instead of {@code "logprob"}); a token absent from a node's children has probability
 * 0, and the given values are used as they are (a node whose children's probabilities sum below
 * 1 loses the rest). A leaf ends its sequence: after it the end-of-sequence token (the root's
 * optional {@code "eos"}, default {@code "<EOS>"}) has probability 1, log-probability 0, so the
 * sequence's log-likelihood is the sum along its path. A node whose token is the end-of-sequence
 * token must be a leaf.
 *
 * <p>Token ids: the root's token is 0, then each new token string in document order (depth
 * first), then the end-of-sequence token if the tree does not use it. Rows are nodes, so greedy,
 * beam and exhaustive search run on it as on any {@link NextTokenModel}.
 */
public final class TreeLm implements NextTokenModel {
  private static final ObjectMapper JSON = new ObjectMapper();
  /** Children's probabilities may sum to at most 1 + this. */
  public static final double TOLERANCE = 1e-6;

  /** A node: its token, its log-probability given its parent, its children by token id. */
  private record Node(int token, float logProb, Map<Integer, Node> children, String path) {}

  private final List<String> vocabulary;
  private final int eos;
  private final Node root;
  /** The state after the end-of-sequence token: nothing follows. */
  private final Node end;
  private final int depth;
  private Node[] rows = new Node[0];
  private float[] logits = new float[0];

  private TreeLm(List<String> vocabulary, int eos, Node root) {
    this.vocabulary = List.copyOf(vocabulary);
    this.eos = eos;
    this.root = root;
    this.end = new Node(eos, 0, Map.of(), "<end>");
    this.depth = depth(root);
  }

  /** Reads a tree file; errors name the file and the node (its path of tokens). */
  public static TreeLm read(Path file) {
    JsonNode json;
    try {
      json = JSON.readTree(Files.readString(file));
    } catch (IOException e) {
      throw new IllegalArgumentException(file + ": cannot read a JSON tree: " + e.getMessage(), e);
    }
    return parse(json, file.toString());
  }

  /** A tree from its JSON; errors start with source and name the node. */
  public static TreeLm parse(JsonNode json, String source) {
    if (json == null || !json.isObject()) throw new IllegalArgumentException(source + ": expected a JSON object (the root node)");
    String eosToken = "<EOS>";
    if (json.has("eos")) {
      if (!json.get("eos").isTextual() || json.get("eos").asText().isEmpty()) {
        throw new IllegalArgumentException(source + ": \"eos\" is " + json.get("eos") + "; expected a token string");
      }
      eosToken = json.get("eos").asText();
    }
    Map<String, Integer> ids = new LinkedHashMap<>();
    Node root = node(json, source, "", ids, eosToken, true);
    ids.putIfAbsent(eosToken, ids.size());
    return new TreeLm(new ArrayList<>(ids.keySet()), ids.get(eosToken), root);
  }

  private static Node node(JsonNode json, String source, String parentPath, Map<String, Integer> ids, String eosToken,
      boolean isRoot) {
    JsonNode t = json.get("token");
    if (t == null || !t.isTextual() || t.asText().isEmpty()) {
      throw new IllegalArgumentException(source + ": a node under '" + (parentPath.isEmpty() ? "(root)" : parentPath)
          + "' has token " + t + "; expected a non-empty string");
    }
    String token = t.asText();
    String path = parentPath.isEmpty() ? token : parentPath + " " + token;
    float logProb = 0;
    if (!isRoot) {
      JsonNode lp = json.get("logprob");
      JsonNode p = json.get("prob");
      if ((lp == null) == (p == null)) {
        throw new IllegalArgumentException(source + ": node '" + path + "' needs exactly one of \"logprob\" and \"prob\"");
      }
      if (lp != null) {
        if (!lp.isNumber() || !(lp.asDouble() <= 0)) {
          throw new IllegalArgumentException(source + ": node '" + path + "' has logprob " + lp + "; expected a number <= 0");
        }
        logProb = (float) lp.asDouble();
      } else {
        if (!p.isNumber() || !(p.asDouble() > 0 && p.asDouble() <= 1)) {
          throw new IllegalArgumentException(source + ": node '" + path + "' has prob " + p + "; expected a number in (0, 1]");
        }
        logProb = (float) Math.log(p.asDouble());
      }
    }
    int id = ids.computeIfAbsent(token, k -> ids.size());
    JsonNode kids = json.get("children");
    Map<Integer, Node> children = new LinkedHashMap<>();
    if (kids != null && !kids.isNull()) {
      if (!kids.isArray()) {
        throw new IllegalArgumentException(source + ": node '" + path + "' has children " + kids + "; expected a list");
      }
      if (token.equals(eosToken) && kids.size() > 0) {
        throw new IllegalArgumentException(source + ": node '" + path + "' is the end-of-sequence token " + eosToken
            + " and must have no children");
      }
      double total = 0;
      for (JsonNode k : kids) {
        Node c = node(k, source, path, ids, eosToken, false);
        if (children.put(c.token(), c) != null) {
          throw new IllegalArgumentException(source + ": node '" + path + "' has two children '"
              + k.get("token").asText() + "'; expected distinct tokens");
        }
        total += Math.exp(c.logProb());
      }
      if (total > 1 + TOLERANCE) {
        throw new IllegalArgumentException(String.format(java.util.Locale.ROOT,
            "%s: the children of node '%s' have total probability %.9g > 1 (+%.0e); expected at most 1", source, path,
            total, TOLERANCE));
      }
    }
    return new Node(id, logProb, children, path);
  }

  private int depth(Node n) {
    if (n.children().isEmpty()) return n.token() == eos ? 0 : 1; // a leaf is followed by EOS
    int d = 0;
    for (Node c : n.children().values()) d = Math.max(d, depth(c));
    return 1 + d;
  }

  /** The longest sequence after the root, its end-of-sequence token included: the default T. */
  public int depth() {
    return depth;
  }

  /** The token strings in id order. */
  public List<String> vocabulary() {
    return vocabulary;
  }

  public String token(int id) {
    return vocabulary.get(id);
  }

  public int eos() {
    return eos;
  }

  /** The id of the root's token: the prompt of a search from the root. */
  public int bos() {
    return root.token();
  }

  /** The tokens of ids joined by spaces. */
  public String text(int[] ids) {
    StringBuilder s = new StringBuilder();
    for (int id : ids) s.append(s.isEmpty() ? "" : " ").append(token(id));
    return s.toString();
  }

  @Override
  public int vocabSize() {
    return vocabulary.size();
  }

  /** prompt must be a path from the root: the root's token, then children. */
  @Override
  public void start(int[] prompt) {
    if (prompt == null || prompt.length == 0 || prompt[0] != root.token()) {
      throw new IllegalArgumentException("tree: a prompt starts at the root token '" + token(root.token()) + "', got "
          + (prompt == null || prompt.length == 0 ? "nothing" : "'" + token(prompt[0]) + "'"));
    }
    Node n = root;
    for (int i = 1; i < prompt.length; i++) {
      Node c = next(n, prompt[i]);
      if (c == null) {
        throw new IllegalArgumentException("tree: '" + token(prompt[i]) + "' (prompt position " + i
            + ") is not a child of '" + n.path() + "'");
      }
      n = c;
    }
    rows = new Node[] {n};
    fill();
  }

  @Override
  public int rows() {
    return rows.length;
  }

  @Override
  public void advance(int[] parents, int[] tokens) {
    Node[] next = new Node[parents.length];
    for (int i = 0; i < parents.length; i++) {
      Node n = rows[parents[i]];
      next[i] = next(n, tokens[i]);
      if (next[i] == null) {
        throw new IllegalArgumentException("tree: '" + token(tokens[i]) + "' has probability 0 after '" + n.path() + "'");
      }
    }
    rows = next;
    fill();
  }

  /** The node after n and token, or null (probability 0). */
  private Node next(Node n, int token) {
    if (n == end) return null;
    if (n.children().isEmpty()) return token == eos && n.token() != eos ? end : null;
    return n.children().get(token);
  }

  private void fill() {
    int v = vocabulary.size();
    if (logits.length < rows.length * v) logits = new float[rows.length * v];
    Arrays.fill(logits, 0, rows.length * v, Float.NEGATIVE_INFINITY);
    for (int r = 0; r < rows.length; r++) {
      Node n = rows[r];
      if (n == end || n.token() == eos && n.children().isEmpty() && n != root) continue;
      if (n.children().isEmpty()) {
        logits[r * v + eos] = 0;
      } else {
        for (Node c : n.children().values()) logits[r * v + c.token()] = c.logProb();
      }
    }
  }

  /** The tree's log-probabilities (not renormalised). */
  @Override
  public float[] logits() {
    return logits;
  }

  @Override
  public float[] logProbs() {
    return logits;
  }
}
