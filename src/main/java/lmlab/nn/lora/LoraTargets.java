package lmlab.nn.lora;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;
import lmlab.nn.Embedding;
import lmlab.nn.Linear;
import lmlab.nn.Module;

/**
 * Which Linear modules an adapter wraps, PEFT's {@code target_modules} (spec lora.md): a list of
 * names, each matching a module path P when {@code P == t} or P ends with {@code "." + t}; a regular
 * expression that must match the whole path; or {@code all-linear}, every Linear inside
 * {@code model.layers}. Only a Linear with its own weight can be adapted: a target that matches
 * nothing, or matches an embedding, a norm or any other module, is an error naming the target.
 */
public sealed interface LoraTargets {
  /** PEFT's default for Llama and Qwen2. */
  LoraTargets DEFAULT = new Names(List.of("q_proj", "v_proj"));

  /** Suffix names (PEFT's list form). */
  record Names(List<String> names) implements LoraTargets {
    public Names {
      if (names == null || names.isEmpty()) throw new IllegalArgumentException("lora targets: give at least one module name");
      for (String n : names) {
        if (n == null || n.isBlank()) throw new IllegalArgumentException("lora targets: an empty module name in " + names);
      }
      names = List.copyOf(names);
    }

    @Override
    public String describe() {
      return String.join(",", names);
    }
  }

  /** A regular expression over the whole module path (PEFT's string form). */
  record Regex(String regex) implements LoraTargets {
    public Regex {
      try {
        Pattern.compile(regex);
      } catch (PatternSyntaxException e) {
        throw new IllegalArgumentException("lora targets: '" + regex + "' is not a regular expression: "
            + e.getDescription());
      }
    }

    @Override
    public String describe() {
      return regex;
    }
  }

  /** Every Linear inside model.layers (PEFT's "all-linear", which leaves the output layer out). */
  record AllLinear() implements LoraTargets {
    @Override
    public String describe() {
      return "all-linear";
    }
  }

  /** As given on a command line or in a settings file. */
  String describe();

  /**
   * {@code all-linear}; a regular expression when the text holds a regex metacharacter other than
   * ',' between names; otherwise comma-separated names.
   */
  static LoraTargets parse(String text) {
    if (text == null || text.isBlank()) throw new IllegalArgumentException("lora targets: empty; give q_proj,v_proj, all-linear or a regex");
    String t = text.trim();
    if (t.equals("all-linear")) return new AllLinear();
    if (t.chars().anyMatch(c -> "\\^$.|?*+()[]{}".indexOf(c) >= 0)) return new Regex(t);
    List<String> names = new ArrayList<>();
    for (String n : t.split(",", -1)) names.add(n.trim());
    return new Names(names);
  }

  /**
   * The Linear modules of model these targets select, by path in the model's order. Errors name
   * the target: one matching nothing, or matching a module that is not a Linear with its own
   * weight (an embedding, a norm, a block).
   */
  default Map<String, Linear> select(Module model) {
    Map<String, Module> modules = model.namedModules();
    Map<String, Linear> out = new LinkedHashMap<>();
    switch (this) {
      case Names n -> {
        for (String t : n.names()) {
          int hits = 0;
          for (var e : modules.entrySet()) {
            String p = e.getKey();
            if (!(p.equals(t) || p.endsWith("." + t))) continue;
            out.put(p, linear("'" + t + "'", p, e.getValue()));
            hits++;
          }
          if (hits == 0) throw new IllegalArgumentException(nothing("'" + t + "'", modules));
        }
        Map<String, Linear> ordered = new LinkedHashMap<>();
        for (String p : modules.keySet()) if (out.containsKey(p)) ordered.put(p, out.get(p));
        return ordered;
      }
      case Regex r -> {
        Pattern pat = Pattern.compile(r.regex());
        for (var e : modules.entrySet()) {
          if (e.getKey().isEmpty() || !pat.matcher(e.getKey()).matches()) continue;
          Module m = e.getValue();
          if (m instanceof Linear || m instanceof Embedding || m.children().isEmpty()) {
            out.put(e.getKey(), linear("regex '" + r.regex() + "'", e.getKey(), m));
          }
        }
        if (out.isEmpty()) throw new IllegalArgumentException(nothing("regex '" + r.regex() + "'", modules));
        return out;
      }
      case AllLinear a -> {
        for (var e : modules.entrySet()) {
          if (e.getKey().startsWith("model.layers.") && e.getValue() instanceof Linear lin) out.put(e.getKey(), lin);
        }
        if (out.isEmpty()) throw new IllegalArgumentException("lora target all-linear: the model has no Linear inside model.layers");
        return out;
      }
    }
  }

  private static Linear linear(String target, String path, Module m) {
    if (m instanceof Linear lin && !(m instanceof LoraLinear)) return lin;
    String what = m instanceof LoraLinear ? "already adapted" : "a " + m.getClass().getSimpleName() + ", not a Linear";
    throw new IllegalArgumentException("lora target " + target + " matches module '" + path + "', which is " + what
        + " (only a Linear with its own weight can be adapted)");
  }

  private static String nothing(String target, Map<String, Module> modules) {
    List<String> linears = new ArrayList<>();
    for (var e : modules.entrySet()) {
      if (e.getValue() instanceof Linear) {
        String p = e.getKey();
        String last = p.substring(p.lastIndexOf('.') + 1);
        if (!linears.contains(last)) linears.add(last);
      }
    }
    return "lora target " + target + " matches no module of the model (its Linear modules: "
        + (linears.isEmpty() ? "none" : String.join(", ", linears)) + "; a tied lm_head has no weight of its own)";
  }
}
