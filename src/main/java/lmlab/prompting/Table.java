package lmlab.prompting;

import java.util.ArrayList;
import java.util.List;

/** A report table rendered as Markdown (cells with '|' escaped) or CSV (RFC 4180 quoting). */
record Table(List<String> header, List<List<String>> rows) {
  Table(List<String> header) {
    this(header, new ArrayList<>());
  }

  void add(List<String> row) {
    rows.add(row);
  }

  String markdown() {
    StringBuilder b = new StringBuilder();
    line(b, header);
    b.append('|');
    for (int i = 0; i < header.size(); i++) b.append(" --- |");
    b.append('\n');
    for (List<String> r : rows) line(b, r);
    return b.toString();
  }

  private static void line(StringBuilder b, List<String> cells) {
    b.append('|');
    for (String c : cells) b.append(' ').append(c.replace("|", "\\|").replace("\n", " ")).append(" |");
    b.append('\n');
  }

  String csv() {
    StringBuilder b = new StringBuilder();
    csvLine(b, header);
    for (List<String> r : rows) csvLine(b, r);
    return b.toString();
  }

  private static void csvLine(StringBuilder b, List<String> cells) {
    for (int i = 0; i < cells.size(); i++) {
      if (i > 0) b.append(',');
      String c = cells.get(i);
      if (c.contains(",") || c.contains("\"") || c.contains("\n")) b.append('"').append(c.replace("\"", "\"\"")).append('"');
      else b.append(c);
    }
    b.append('\n');
  }
}
