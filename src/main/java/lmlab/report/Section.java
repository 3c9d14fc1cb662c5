package lmlab.report;

import java.util.List;

/**
 * One experiment's part of a report: what varies, which base settings differ from lmlab train's
 * defaults, its figures and tables (captions without their "Figure k:" numbers, which the report
 * assigns), its derived statements, and extra files for tables/ (e.g. every (B, α) as CSV).
 */
public record Section(String name, String title, String varies, String baseDiff, List<Figure> figures,
    List<Table> tables, List<String> statements, List<ExtraFile> extras) {
  public record ExtraFile(String name, String content) {}
}
