package lmlab.decode.structured;

import java.util.List;
import lmlab.decode.structured.JsonSchemaSubset.Node;
import lmlab.decode.structured.JsonSchemaSubset.Type;

/**
 * A byte-level pushdown automaton for the JSON language of serving.md restricted by a compiled
 * schema: {@link #step} feeds one byte to an immutable {@link State} and returns the next state,
 * or null when no value of the language starts with the bytes so far. States are persistent
 * (a stack of small immutable frames), so walking a token trie can branch from one state without
 * copying, and equal states can share a cached token mask.
 *
 * <p>The language (llama.cpp's json grammar shape): keys in {@code properties} order, every
 * required key present, optional keys may be skipped; at most one space, or one newline followed
 * by up to 20 spaces or tabs, between tokens; integers {@code -?(0|[1-9][0-9]{0,15})}; numbers
 * add {@code .[0-9]{1,16}} and {@code [eE][+-]?[0-9]{1,3}}; strings are well-formed UTF-8
 * without {@code "}, {@code \} and controls, plus the JSON escapes (backslash-u outside
 * surrogates); enum values as their canonical JSON text; nesting at most 64 deep.
 */
public final class JsonAutomaton {
  static final int MAX_DEPTH = 64;
  static final int MAX_INDENT = 20;

  private JsonAutomaton() {}

  /** A persistent stack of frames; the root frame is at the bottom. */
  public record State(Frame top, State rest, int depth) {
    /** Whether the bytes so far are a complete value (generation may stop here). */
    public boolean canEnd() {
      return top instanceof Done || (rest != null && rest.top instanceof Root && top.canEnd());
    }

    /** Whether the value is complete and finished: the root value was closed. */
    public boolean done() {
      return top instanceof Done;
    }

    State push(Frame f) {
      return new State(f, this, depth + 1);
    }

    State replace(Frame f) {
      return new State(f, rest, depth);
    }
  }

  /** The state before the first byte of a value of {@code schema}. */
  public static State start(Node schema) {
    return new State(new Root(schema), null, 0);
  }

  /** The state after {@code bytes}, or null when they leave the language. */
  public static State feed(State s, byte[] bytes) {
    for (int i = 0; i < bytes.length && s != null; i++) s = step(s, bytes[i] & 0xFF);
    return s;
  }

  /** One byte. */
  public static State step(State s, int b) {
    while (true) {
      Frame top = s.top();
      Outcome o = top.step(b, s.depth());
      switch (o.kind) {
        case REJECT -> {
          return null;
        }
        case REPLACE -> {
          return s.replace(o.frame);
        }
        case PUSH -> {
          if (s.depth() >= MAX_DEPTH + 1) return null;
          return s.replace(o.frame).push(o.child);
        }
        case POP -> {
          State parent = s.rest();
          return parent.replace(parent.top().childDone());
        }
        case POP_REFEED -> {
          State parent = s.rest();
          s = parent.replace(parent.top().childDone());
          // feed b again to the parent
        }
        default -> throw new IllegalStateException();
      }
    }
  }

  enum Kind { REJECT, REPLACE, PUSH, POP, POP_REFEED }

  /** What a frame does with a byte. */
  record Outcome(Kind kind, Frame frame, Frame child) {
    static final Outcome REJECT = new Outcome(Kind.REJECT, null, null);
    static final Outcome POP = new Outcome(Kind.POP, null, null);
    static final Outcome POP_REFEED = new Outcome(Kind.POP_REFEED, null, null);

    static Outcome replace(Frame f) {
      return new Outcome(Kind.REPLACE, f, null);
    }

    /** Keep {@code self} (updated) below and start {@code child} on top. */
    static Outcome push(Frame self, Frame child) {
      return new Outcome(Kind.PUSH, self, child);
    }
  }

  /** One level of the pushdown stack. */
  sealed interface Frame permits Root, Done, ObjectFrame, ArrayFrame, StringFrame, NumberFrame, LiteralFrame {
    Outcome step(int b, int depth);

    /** This frame after its child value completed. */
    default Frame childDone() {
      throw new IllegalStateException(getClass().getSimpleName() + " has no child");
    }

    /** Whether the value of this frame may end here (numbers and enums with longer candidates). */
    default boolean canEnd() {
      return false;
    }
  }

  /** The bottom: expects one value, then is done. */
  record Root(Node node) implements Frame {
    @Override
    public Outcome step(int b, int depth) {
      Frame child = startValue(node, b);
      return child == null ? Outcome.REJECT : Outcome.push(this, child);
    }

    @Override
    public Frame childDone() {
      return Done.INSTANCE;
    }
  }

  /** After the root value: nothing more. */
  record Done() implements Frame {
    static final Done INSTANCE = new Done();

    @Override
    public Outcome step(int b, int depth) {
      return Outcome.REJECT;
    }
  }

  /**
   * The frame for a value of {@code node} after its first byte {@code b}, or null when no value
   * of the node starts with b. Enums take precedence over types (an enum node has no types).
   */
  static Frame startValue(Node node, int b) {
    if (node.isEnum()) return LiteralFrame.start(Texts.enumOf(node), b);
    var t = node.types();
    boolean any = node.isAny();
    if (b == '{' && t.contains(Type.OBJECT)) return ObjectFrame.open(node);
    if (b == '[' && t.contains(Type.ARRAY)) return new ArrayFrame(any ? JsonSchemaSubset.ANY : node, ArrayFrame.AFTER_OPEN, 0, 0);
    if (b == '"' && t.contains(Type.STRING)) return StringFrame.START;
    if ((b == '-' || (b >= '0' && b <= '9')) && (t.contains(Type.NUMBER) || t.contains(Type.INTEGER)))
      return NumberFrame.start(!t.contains(Type.NUMBER), b);
    if ((b == 't' || b == 'f') && t.contains(Type.BOOLEAN)) return LiteralFrame.start(Texts.BOOLEANS, b);
    if (b == 'n' && t.contains(Type.NULL)) return LiteralFrame.start(Texts.NULL, b);
    return null;
  }

  /**
   * Whitespace at one place: 0 nothing yet, 1 one space (no more), 2 + k a newline and k
   * spaces or tabs (k at most 20). Returns the new count, or -1 when b is not allowed whitespace.
   */
  static int whitespace(int ws, int b) {
    if (b == ' ') return ws == 0 ? 1 : ws >= 2 && ws - 2 < MAX_INDENT ? ws + 1 : -1;
    if (b == '\t') return ws >= 2 && ws - 2 < MAX_INDENT ? ws + 1 : -1;
    if (b == '\n') return ws == 0 ? 2 : -1;
    return -1;
  }

  static boolean isWhitespace(int b) {
    return b == ' ' || b == '\t' || b == '\n';
  }

  /**
   * An object: keys in properties order (any string keys for json_object), ':' then the value,
   * ',' or '}' after it; '}' only when no required key is left.
   *
   * @param phase AFTER_OPEN, KEY, AFTER_KEY, AFTER_COLON, AFTER_VALUE, AFTER_COMMA
   * @param next index of the first property that may still come
   * @param key the key being matched (a LiteralFrame over candidate key texts), or null
   * @param current the property whose value is being generated (-1 for any-object)
   */
  record ObjectFrame(Node node, int phase, int next, int ws, LiteralFrame key, int current, boolean anyKey) implements Frame {
    static final int AFTER_OPEN = 0, KEY = 1, AFTER_KEY = 2, AFTER_COLON = 3, AFTER_VALUE = 4, AFTER_COMMA = 5;

    static ObjectFrame open(Node node) {
      return new ObjectFrame(node, AFTER_OPEN, 0, 0, null, -1, false);
    }

    private List<String> names() {
      return List.copyOf(node.properties().keySet());
    }

    /** Whether every required property from index {@code from} on may be left out. */
    private boolean noRequiredFrom(int from) {
      List<String> names = names();
      for (int i = from; i < names.size(); i++) if (node.required().contains(names.get(i))) return false;
      return true;
    }

    /** Canonical JSON texts of the keys that may come next: up to and including the first required one. */
    private List<byte[]> candidates() {
      return Texts.keysFrom(node, next);
    }

    @Override
    public Outcome step(int b, int depth) {
      boolean any = node.isAny();
      switch (phase) {
        case AFTER_OPEN, AFTER_COMMA -> {
          int w = whitespace(ws, b);
          if (w >= 0) return Outcome.replace(new ObjectFrame(node, phase, next, w, null, current, false));
          if (b == '}' && phase == AFTER_OPEN && (any || noRequiredFrom(next))) return Outcome.POP;
          if (b != '"') return Outcome.REJECT;
          if (any) return Outcome.push(new ObjectFrame(node, KEY, next, 0, null, -1, true), StringFrame.START);
          List<byte[]> c = candidates();
          if (c.isEmpty()) return Outcome.REJECT;
          LiteralFrame k = LiteralFrame.start(c, b);
          return k == null ? Outcome.REJECT : Outcome.replace(new ObjectFrame(node, KEY, next, 0, k, current, false));
        }
        case KEY -> {
          Outcome o = key.step(b, depth);
          if (o.kind == Kind.REPLACE) return Outcome.replace(new ObjectFrame(node, KEY, next, 0, (LiteralFrame) o.frame, current, false));
          if (o.kind == Kind.POP_REFEED) {
            // the key text is complete (it ends with '"'): find which property it was
            String text = key.completed();
            List<String> names = names();
            int idx = -1;
            for (int i = next; i < names.size(); i++)
              if (new com.fasterxml.jackson.databind.node.TextNode(names.get(i)).toString().equals(text)) {
                idx = i;
                break;
              }
            return new ObjectFrame(node, AFTER_KEY, idx + 1, 0, null, idx, false).step(b, depth);
          }
          return Outcome.REJECT;
        }
        case AFTER_KEY -> {
          int w = whitespace(ws, b);
          if (w >= 0) return Outcome.replace(new ObjectFrame(node, phase, next, w, null, current, anyKey));
          if (b == ':') return Outcome.replace(new ObjectFrame(node, AFTER_COLON, next, 0, null, current, anyKey));
          return Outcome.REJECT;
        }
        case AFTER_COLON -> {
          int w = whitespace(ws, b);
          if (w >= 0) return Outcome.replace(new ObjectFrame(node, phase, next, w, null, current, anyKey));
          Node child = any ? JsonSchemaSubset.ANY : node.properties().get(names().get(current));
          Frame f = startValue(child, b);
          if (f == null) return Outcome.REJECT;
          return Outcome.push(new ObjectFrame(node, AFTER_VALUE, next, 0, null, current, anyKey), f);
        }
        case AFTER_VALUE -> {
          int w = whitespace(ws, b);
          if (w >= 0) return Outcome.replace(new ObjectFrame(node, phase, next, w, null, current, anyKey));
          if (b == '}' && (any || noRequiredFrom(next))) return Outcome.POP;
          if (b == ',' && (any || !candidates().isEmpty())) return Outcome.replace(new ObjectFrame(node, AFTER_COMMA, next, 0, null, -1, false));
          return Outcome.REJECT;
        }
        default -> throw new IllegalStateException();
      }
    }

    @Override
    public Frame childDone() {
      // a key string of an any-object ends: now ':'; a value ends: now ',' or '}'
      if (phase == KEY && anyKey) return new ObjectFrame(node, AFTER_KEY, next, 0, null, -1, true);
      return this;
    }
  }

  /**
   * An array: items until maxItems, ']' only from minItems on.
   *
   * @param phase AFTER_OPEN, AFTER_VALUE or AFTER_COMMA
   * @param count items so far (counting the one being generated once it started)
   */
  record ArrayFrame(Node node, int phase, int count, int ws) implements Frame {
    static final int AFTER_OPEN = 0, AFTER_VALUE = 1, AFTER_COMMA = 2;

    @Override
    public Outcome step(int b, int depth) {
      int w = whitespace(ws, b);
      if (w >= 0) return Outcome.replace(new ArrayFrame(node, phase, count, w));
      Node items = node.isAny() ? JsonSchemaSubset.ANY : node.items();
      if (phase == AFTER_VALUE) {
        if (b == ']' && count >= node.minItems()) return Outcome.POP;
        if (b == ',' && count < node.maxItems()) return Outcome.replace(new ArrayFrame(node, AFTER_COMMA, count, 0));
        return Outcome.REJECT;
      }
      if (b == ']' && phase == AFTER_OPEN && node.minItems() == 0) return Outcome.POP;
      if (items == null || count >= node.maxItems()) return Outcome.REJECT;
      Frame f = startValue(items, b);
      if (f == null) return Outcome.REJECT;
      return Outcome.push(new ArrayFrame(node, AFTER_VALUE, count + 1, 0), f);
    }

    @Override
    public Frame childDone() {
      return this;
    }
  }

  /**
   * Inside a string, after the opening quote. {@code need} continuation bytes of a UTF-8
   * character are pending, with the next one limited to [lo, hi] (overlongs, surrogates and
   * code points above U+10FFFF excluded); {@code escape} is 0, 1 after a backslash, 2..5 inside
   * a backslash-u escape (hex digits seen + 2).
   */
  record StringFrame(int need, int lo, int hi, int escape) implements Frame {
    static final StringFrame START = new StringFrame(0, 0x80, 0xBF, 0);

    @Override
    public Outcome step(int b, int depth) {
      if (need > 0) {
        if (b < lo || b > hi) return Outcome.REJECT;
        return Outcome.replace(need == 1 ? START : new StringFrame(need - 1, 0x80, 0xBF, 0));
      }
      if (escape == 1) {
        if ("\"\\/bfnrt".indexOf(b) >= 0) return Outcome.replace(START);
        if (b == 'u') return Outcome.replace(new StringFrame(0, 0, 0, 2));
        return Outcome.REJECT;
      }
      if (escape >= 2) {
        int digit = Character.digit(b, 16);
        if (digit < 0 || b > 'f') return Outcome.REJECT;
        if (escape == 2 && (b == 'd' || b == 'D')) return Outcome.replace(new StringFrame(0, 0, 0, 10)); // D...: 2nd digit 0-7
        if (escape == 10) {
          if (digit > 7) return Outcome.REJECT;
          return Outcome.replace(new StringFrame(0, 0, 0, 4));
        }
        return Outcome.replace(escape == 5 ? START : new StringFrame(0, 0, 0, escape + 1));
      }
      if (b == '"') return Outcome.POP;
      if (b == '\\') return Outcome.replace(new StringFrame(0, 0, 0, 1));
      if (b < 0x20) return Outcome.REJECT;
      if (b < 0x80) return Outcome.replace(START);
      if (b >= 0xC2 && b <= 0xDF) return Outcome.replace(new StringFrame(1, 0x80, 0xBF, 0));
      if (b == 0xE0) return Outcome.replace(new StringFrame(2, 0xA0, 0xBF, 0));
      if (b == 0xED) return Outcome.replace(new StringFrame(2, 0x80, 0x9F, 0));
      if (b >= 0xE1 && b <= 0xEF) return Outcome.replace(new StringFrame(2, 0x80, 0xBF, 0));
      if (b == 0xF0) return Outcome.replace(new StringFrame(3, 0x90, 0xBF, 0));
      if (b >= 0xF1 && b <= 0xF3) return Outcome.replace(new StringFrame(3, 0x80, 0xBF, 0));
      if (b == 0xF4) return Outcome.replace(new StringFrame(3, 0x80, 0x8F, 0));
      return Outcome.REJECT;
    }
  }

  /**
   * A number: phase SIGN (after '-'), ZERO, INT, DOT, FRAC, EXP, EXP_SIGN, EXP_DIGITS with
   * {@code n} digits in the current part.
   */
  record NumberFrame(boolean integerOnly, int phase, int n) implements Frame {
    static final int SIGN = 0, ZERO = 1, INT = 2, DOT = 3, FRAC = 4, EXP = 5, EXP_SIGN = 6, EXP_DIGITS = 7;

    static NumberFrame start(boolean integerOnly, int b) {
      if (b == '-') return new NumberFrame(integerOnly, SIGN, 0);
      return b == '0' ? new NumberFrame(integerOnly, ZERO, 1) : new NumberFrame(integerOnly, INT, 1);
    }

    @Override
    public boolean canEnd() {
      return phase == ZERO || phase == INT || phase == FRAC || phase == EXP_DIGITS;
    }

    @Override
    public Outcome step(int b, int depth) {
      boolean digit = b >= '0' && b <= '9';
      switch (phase) {
        case SIGN -> {
          if (!digit) return Outcome.REJECT;
          return Outcome.replace(new NumberFrame(integerOnly, b == '0' ? ZERO : INT, 1));
        }
        case ZERO, INT -> {
          if (digit && phase == INT && n < 16) return Outcome.replace(new NumberFrame(integerOnly, INT, n + 1));
          if (b == '.' && !integerOnly) return Outcome.replace(new NumberFrame(integerOnly, DOT, 0));
          if ((b == 'e' || b == 'E') && !integerOnly) return Outcome.replace(new NumberFrame(integerOnly, EXP, 0));
          return digit ? Outcome.REJECT : Outcome.POP_REFEED;
        }
        case DOT -> {
          return digit ? Outcome.replace(new NumberFrame(integerOnly, FRAC, 1)) : Outcome.REJECT;
        }
        case FRAC -> {
          if (digit && n < 16) return Outcome.replace(new NumberFrame(integerOnly, FRAC, n + 1));
          if (b == 'e' || b == 'E') return Outcome.replace(new NumberFrame(integerOnly, EXP, 0));
          return digit ? Outcome.REJECT : Outcome.POP_REFEED;
        }
        case EXP -> {
          if (b == '+' || b == '-') return Outcome.replace(new NumberFrame(integerOnly, EXP_SIGN, 0));
          return digit ? Outcome.replace(new NumberFrame(integerOnly, EXP_DIGITS, 1)) : Outcome.REJECT;
        }
        case EXP_SIGN -> {
          return digit ? Outcome.replace(new NumberFrame(integerOnly, EXP_DIGITS, 1)) : Outcome.REJECT;
        }
        case EXP_DIGITS -> {
          if (digit && n < 3) return Outcome.replace(new NumberFrame(integerOnly, EXP_DIGITS, n + 1));
          return digit ? Outcome.REJECT : Outcome.POP_REFEED;
        }
        default -> throw new IllegalStateException();
      }
    }
  }

  /**
   * The candidate texts of literal frames, built once per schema node and shared, so that equal
   * automaton states compare (and hash) equal.
   */
  static final class Texts {
    static final List<byte[]> BOOLEANS = utf8(List.of("true", "false"));
    static final List<byte[]> NULL = utf8(List.of("null"));
    private static final java.util.Map<Object, List<byte[]>> CACHE = new java.util.concurrent.ConcurrentHashMap<>();

    private record KeysFrom(Node node, int next) {}

    static List<byte[]> enumOf(Node node) {
      return CACHE.computeIfAbsent(node, n -> utf8(node.enumTexts()));
    }

    static List<byte[]> keysFrom(Node node, int next) {
      return CACHE.computeIfAbsent(new KeysFrom(node, next), k -> {
        List<String> names = List.copyOf(node.properties().keySet());
        List<String> out = new java.util.ArrayList<>();
        for (int i = next; i < names.size(); i++) {
          out.add(new com.fasterxml.jackson.databind.node.TextNode(names.get(i)).toString());
          if (node.required().contains(names.get(i))) break;
        }
        return utf8(out);
      });
    }

    static List<byte[]> utf8(List<String> texts) {
      if (texts.size() > 64) throw new JsonSchemaSubset.UnsupportedSchemaException("more than 64 enum values or keys at one place");
      return texts.stream().map(t -> t.getBytes(java.nio.charset.StandardCharsets.UTF_8)).toList();
    }
  }

  /**
   * Matching one of a fixed set of texts (enum values, true/false/null, object keys): the
   * candidates still consistent with the {@code pos} bytes seen. Texts are compared as UTF-8.
   */
  record LiteralFrame(List<byte[]> texts, long viable, int pos) implements Frame {
    /** The frame after byte b, or null; {@code bytes} must be a shared list from {@link Texts}. */
    static LiteralFrame start(List<byte[]> bytes, int b) {
      LiteralFrame f = new LiteralFrame(bytes, (1L << bytes.size()) - 1 | (bytes.size() == 64 ? -1L : 0), 0);
      Outcome o = f.step(b, 0);
      return o.kind == Kind.REPLACE ? (LiteralFrame) o.frame : null;
    }

    @Override
    public boolean canEnd() {
      for (int i = 0; i < texts.size(); i++) if ((viable >>> i & 1) != 0 && texts.get(i).length == pos) return true;
      return false;
    }

    /** The candidate text fully matched (for keys). */
    String completed() {
      for (int i = 0; i < texts.size(); i++)
        if ((viable >>> i & 1) != 0 && texts.get(i).length == pos)
          return new String(texts.get(i), java.nio.charset.StandardCharsets.UTF_8);
      throw new IllegalStateException("no candidate complete");
    }

    @Override
    public Outcome step(int b, int depth) {
      long next = 0;
      for (int i = 0; i < texts.size(); i++) {
        byte[] t = texts.get(i);
        if ((viable >>> i & 1) != 0 && pos < t.length && (t[pos] & 0xFF) == b) next |= 1L << i;
      }
      if (next != 0) return Outcome.replace(new LiteralFrame(texts, next, pos + 1));
      return canEnd() ? Outcome.POP_REFEED : Outcome.REJECT;
    }

    // texts are shared per node and compared by identity of the list; viable and pos identify the state
    @Override
    public boolean equals(Object o) {
      return o instanceof LiteralFrame l && l.texts == texts && l.viable == viable && l.pos == pos;
    }

    @Override
    public int hashCode() {
      return System.identityHashCode(texts) * 31 + Long.hashCode(viable) * 17 + pos;
    }
  }
}
