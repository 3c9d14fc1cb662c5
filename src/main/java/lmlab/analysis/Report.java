package lmlab.analysis;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.StringJoiner;

/**
 * Prints analyses side by side, one column per configuration and one row per figure (number and
 * closed form), as a terminal table, Markdown, LaTeX, CSV or JSON.
 */
public final class Report {
  public enum Format { TABLE, MARKDOWN, LATEX, CSV, JSON }

  private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  private final List<Analysis> columns;
  private final Analysis.Setting setting;

  public Report(List<Analysis> columns) {
    if (columns.isEmpty()) throw new IllegalArgumentException("nothing to report");
    this.columns = List.copyOf(columns);
    this.setting = columns.getFirst().setting();
  }

  public String render(Format f) {
    return switch (f) {
      case TABLE -> table();
      case MARKDOWN -> markdown();
      case LATEX -> latex();
      case CSV -> csv();
      case JSON -> json();
    };
  }

  /** One line: L, B, element type, attention counting. */
  public String settingLine() {
    List<String> ls = new ArrayList<>();
    for (long l : setting.lengths()) ls.add(Analysis.group(l));
    return "L = " + String.join(", ", ls) + "; batch B = " + setting.batch() + "; KV cache / state in "
        + setting.dtype().label() + " (b = " + setting.dtype().bytes() + " bytes); attention FLOPs counted "
        + setting.counting().name().toLowerCase(Locale.ROOT)
        + (setting.lora() == null ? "" : "; LoRA r = " + setting.lora().rank() + " on "
            + String.join(", ", setting.lora().targets()) + ", base at " + setting.lora().baseBits() + " bits");
  }

  /** The row keys in order (first column's order, then any others) and each row's label. */
  private Map<String, String> rows() {
    Map<String, String> labels = new LinkedHashMap<>();
    for (Analysis a : columns) {
      for (Figure f : a.figures()) {
        String prev = labels.get(f.key());
        if (prev == null) labels.put(f.key(), f.label());
        else if (!prev.equals(f.label())) labels.put(f.key(), generic(f));
      }
    }
    return labels;
  }

  private static String generic(Figure f) {
    if (f.key().startsWith("state@")) {
      return "KV cache / state bytes (L = " + Analysis.group(Long.parseLong(f.key().substring(6))) + ")";
    }
    if (f.key().equals("layer_parameters")) return "parameters per layer";
    return f.label();
  }

  /** The number grouped by thousands with a short form: 124,439,808 (124.4 M). */
  public static String number(Figure f) {
    String exact = String.format(Locale.ROOT, "%,d", f.value());
    String shortForm = switch (f.unit()) {
      case "bytes" -> binary(f.value());
      case "FLOPs" -> decimal(f.value(), "FLOP");
      default -> decimal(f.value(), "");
    };
    return shortForm == null ? exact : exact + " (" + shortForm + ")";
  }

  private static String decimal(BigInteger v, String unit) {
    String[] prefixes = {"", "k", "M", "G", "T", "P", "E"};
    if (v.compareTo(BigInteger.valueOf(10_000)) < 0) return null;
    BigDecimal d = new BigDecimal(v);
    int i = 0;
    while (d.compareTo(BigDecimal.valueOf(1000)) >= 0 && i < prefixes.length - 1) {
      d = d.movePointLeft(3);
      i++;
    }
    String p = unit.isEmpty() && prefixes[i].equals("k") ? "K" : prefixes[i];
    return String.format(Locale.ROOT, "%.1f %s%s", d.doubleValue(), p, unit).trim();
  }

  private static String binary(BigInteger v) {
    String[] units = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
    if (v.compareTo(BigInteger.valueOf(1024)) < 0) return null;
    double d = v.doubleValue();
    int i = 0;
    while (d >= 1024 && i < units.length - 1) {
      d /= 1024;
      i++;
    }
    return String.format(Locale.ROOT, "%.1f %s", d, units[i]);
  }

  private static String symbols(Analysis a) {
    StringJoiner j = new StringJoiner(", ");
    for (var e : a.symbols().entrySet()) j.add(e.getKey() + " = " + e.getValue());
    return j.toString();
  }

  // ---------------------------------------------------------------------------------- table

  private String table() {
    List<String[]> lines = new ArrayList<>();
    int n = columns.size();
    String[] head = new String[n + 1];
    head[0] = "";
    for (int i = 0; i < n; i++) head[i + 1] = columns.get(i).architecture().name();
    lines.add(head);
    String[] arch = new String[n + 1];
    arch[0] = "architecture";
    for (int i = 0; i < n; i++) arch[i + 1] = columns.get(i).architecture().summary();
    lines.add(arch);
    for (var row : rows().entrySet()) {
      String[] num = new String[n + 1];
      String[] expr = new String[n + 1];
      num[0] = row.getValue();
      expr[0] = "";
      for (int i = 0; i < n; i++) {
        Figure f = columns.get(i).figure(row.getKey());
        num[i + 1] = f == null ? "-" : number(f);
        expr[i + 1] = f == null ? "" : "= " + f.expression().text();
      }
      lines.add(num);
      lines.add(expr);
    }
    String[] sym = new String[n + 1];
    sym[0] = "symbols";
    for (int i = 0; i < n; i++) sym[i + 1] = symbols(columns.get(i));
    lines.add(sym);
    int[] w = new int[n + 1];
    for (String[] l : lines) for (int i = 0; i <= n; i++) w[i] = Math.max(w[i], l[i].length());
    StringBuilder sb = new StringBuilder(settingLine()).append('\n');
    for (String[] l : lines) {
      StringBuilder line = new StringBuilder();
      for (int i = 0; i <= n; i++) {
        line.append(i == 0 ? "" : "  ").append(l[i]);
        if (i < n) line.append(" ".repeat(w[i] - l[i].length()));
      }
      sb.append(line.toString().stripTrailing()).append('\n');
    }
    return sb.toString();
  }

  // ------------------------------------------------------------------------------- markdown

  private String markdown() {
    StringBuilder sb = new StringBuilder("Setting: ").append(settingLine()).append("\n\n|  |");
    for (Analysis a : columns) sb.append(" ").append(a.architecture().name()).append(" |");
    sb.append("\n| --- |");
    sb.append(" --- |".repeat(columns.size()));
    sb.append("\n| architecture |");
    for (Analysis a : columns) sb.append(' ').append(a.architecture().summary().replace("|", "\\|")).append(" |");
    for (var row : rows().entrySet()) {
      sb.append("\n| ").append(row.getValue()).append(" |");
      for (Analysis a : columns) {
        Figure f = a.figure(row.getKey());
        sb.append(f == null ? " - |" : " " + number(f) + "<br>`" + f.expression().text() + "` |");
      }
    }
    sb.append("\n| symbols |");
    for (Analysis a : columns) sb.append(' ').append(symbols(a)).append(" |");
    return sb.append('\n').toString();
  }

  // ---------------------------------------------------------------------------------- latex

  private static String tex(String s) {
    return s.replace("\\", "\\textbackslash{}").replace("_", "\\_").replace("&", "\\&").replace("%", "\\%")
        .replace("#", "\\#").replace("^", "\\^{}");
  }

  private String latex() {
    StringBuilder sb = new StringBuilder("% lmlab analyze: ").append(settingLine()).append('\n');
    sb.append("\\begin{tabular}{l").append("l".repeat(columns.size())).append("}\n\\hline\n");
    for (Analysis a : columns) sb.append(" & ").append(tex(a.architecture().name()));
    sb.append(" \\\\\n\\hline\n");
    for (var row : rows().entrySet()) {
      sb.append(tex(row.getValue()));
      for (Analysis a : columns) {
        Figure f = a.figure(row.getKey());
        sb.append(" & ").append(f == null ? "--" : String.format(Locale.ROOT, "%,d", f.value()).replace(",", "{,}"));
      }
      sb.append(" \\\\\n");
      for (Analysis a : columns) {
        Figure f = a.figure(row.getKey());
        sb.append(" & ").append(f == null ? "" : "$" + f.expression().latex() + "$");
      }
      sb.append(" \\\\\n");
    }
    sb.append("\\hline\n");
    sb.append("\\end{tabular}\n");
    for (Analysis a : columns) {
      StringJoiner j = new StringJoiner(", ");
      for (var e : a.symbols().entrySet()) j.add("$" + ClosedForm.latexSymbol(e.getKey()) + " = " + e.getValue() + "$");
      sb.append("% ").append(a.architecture().name()).append(": ").append(a.architecture().summary()).append("; ")
          .append(j).append('\n');
    }
    return sb.toString();
  }

  // ------------------------------------------------------------------------------------ csv

  private static String csvField(String s) {
    return s.contains(",") || s.contains("\"") ? "\"" + s.replace("\"", "\"\"") + "\"" : s;
  }

  private String csv() {
    StringBuilder sb = new StringBuilder("configuration,metric,key,unit,value,expression\n");
    for (Analysis a : columns) {
      for (Figure f : a.figures()) {
        sb.append(csvField(a.architecture().name())).append(',').append(csvField(f.label())).append(',')
            .append(f.key()).append(',').append(f.unit()).append(',').append(f.value()).append(',')
            .append(csvField(f.expression().text())).append('\n');
      }
    }
    return sb.toString();
  }

  // ----------------------------------------------------------------------------------- json

  private String json() {
    ObjectNode root = JSON.createObjectNode();
    ObjectNode s = root.putObject("setting");
    ArrayNode ls = s.putArray("L");
    for (long l : setting.lengths()) ls.add(l);
    s.put("batch", setting.batch());
    s.put("dtype", setting.dtype().label());
    s.put("bytes_per_element", setting.dtype().bytes());
    s.put("attention_counting", setting.counting().name().toLowerCase(Locale.ROOT));
    if (setting.lora() != null) {
      ObjectNode l = s.putObject("lora");
      l.put("rank", setting.lora().rank());
      ArrayNode t = l.putArray("targets");
      setting.lora().targets().forEach(t::add);
      l.put("base_bits", setting.lora().baseBits());
    }
    ArrayNode cfgs = root.putArray("configurations");
    for (Analysis a : columns) {
      ObjectNode c = cfgs.addObject();
      c.put("name", a.architecture().name());
      c.put("architecture", a.architecture().summary());
      ObjectNode sym = c.putObject("symbols");
      a.symbols().forEach(sym::put);
      ArrayNode figs = c.putArray("figures");
      for (Figure f : a.figures()) {
        ObjectNode o = figs.addObject();
        o.put("key", f.key());
        o.put("label", f.label());
        o.put("unit", f.unit());
        o.put("value", f.value());
        o.put("expression", f.expression().text());
        o.put("latex", f.expression().latex());
      }
    }
    try {
      return JSON.writeValueAsString(root) + "\n";
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }
}
