package lmlab.report;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.Stroke;
import java.awt.geom.Ellipse2D;
import java.awt.geom.Rectangle2D;
import java.text.DecimalFormat;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.annotations.XYTextAnnotation;
import org.jfree.chart.axis.LogAxis;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.axis.NumberTick;
import org.jfree.chart.axis.NumberTickUnit;
import org.jfree.chart.axis.SymbolAxis;
import org.jfree.chart.axis.TickType;
import org.jfree.chart.axis.ValueAxis;
import org.jfree.chart.plot.DatasetRenderingOrder;
import org.jfree.chart.plot.ValueMarker;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.xy.DeviationRenderer;
import org.jfree.chart.renderer.xy.XYBlockRenderer;
import org.jfree.chart.renderer.xy.XYErrorRenderer;
import org.jfree.chart.renderer.xy.XYLineAndShapeRenderer;
import org.jfree.chart.title.TextTitle;
import org.jfree.chart.ui.Layer;
import org.jfree.chart.ui.RectangleAnchor;
import org.jfree.chart.ui.RectangleEdge;
import org.jfree.chart.ui.RectangleInsets;
import org.jfree.chart.ui.TextAnchor;
import org.jfree.data.xy.DefaultXYZDataset;
import org.jfree.data.xy.YIntervalSeries;
import org.jfree.data.xy.YIntervalSeriesCollection;

/**
 * Builds one JFreeChart per {@link Panel}: line panels (lines, ±std bands through
 * {@link DeviationRenderer}, error bars through {@link XYErrorRenderer}) on linear, [0, 1], log
 * and log2 axes, and heat maps ({@link XYBlockRenderer}) with token axes and per-cell
 * annotations. The charts carry no legend: the figure draws one for all its panels.
 */
final class Charts {
  static final Font TITLE_FONT = new Font(Font.SANS_SERIF, Font.BOLD, 14);
  static final Font LABEL_FONT = new Font(Font.SANS_SERIF, Font.PLAIN, 13);
  static final Font TICK_FONT = new Font(Font.SANS_SERIF, Font.PLAIN, 11);
  static final Color GRID = new Color(0xdddddd);

  private Charts() {}

  static JFreeChart chart(Panel p) {
    XYPlot plot = switch (p) {
      case Panel.Lines l -> lines(l);
      case Panel.Heatmap h -> heatmap(h);
    };
    plot.setBackgroundPaint(Color.WHITE);
    plot.setOutlinePaint(new Color(0x555555));
    plot.setAxisOffset(RectangleInsets.ZERO_INSETS);
    JFreeChart chart = new JFreeChart(null, TITLE_FONT, plot, false);
    chart.setTitle(new TextTitle(p.title(), TITLE_FONT));
    chart.setBackgroundPaint(Color.WHITE);
    chart.setPadding(new RectangleInsets(6, 6, 8, 14));
    chart.setAntiAlias(true);
    chart.setTextAntiAlias(true);
    return chart;
  }

  // ---------------------------------------------------------------- line panels

  private static XYPlot lines(Panel.Lines p) {
    double minPositive = Double.POSITIVE_INFINITY;
    for (Series s : p.series()) for (double v : s.y()) if (v > 0 && v < minPositive) minPositive = v;
    XYPlot plot = new XYPlot();
    plot.setDomainAxis(axis(p.x()));
    plot.setRangeAxis(axis(p.y()));
    fixDegenerateLogRange(plot.getDomainAxis(), p.x(), p.series(), true);
    fixDegenerateLogRange(plot.getRangeAxis(), p.y(), p.series(), false);
    fixFlatLinearRange(plot.getRangeAxis(), p.y(), p.series());
    plot.setDatasetRenderingOrder(DatasetRenderingOrder.FORWARD);
    plot.setDomainGridlinePaint(GRID);
    plot.setRangeGridlinePaint(GRID);
    plot.setDomainGridlineStroke(new BasicStroke(0.6f));
    plot.setRangeGridlineStroke(new BasicStroke(0.6f));
    int k = 0;
    for (Series s : p.series()) {
      YIntervalSeriesCollection ds = new YIntervalSeriesCollection();
      YIntervalSeries ys = new YIntervalSeries(s.label() + "#" + k, false, true);
      for (int i = 0; i < s.y().length; i++) {
        double x = s.x()[i];
        double y = s.y()[i];
        if (!Double.isFinite(x) || !Double.isFinite(y)) continue;
        if (p.x().logarithmic() && x <= 0) continue;
        if (p.y().logarithmic() && y <= 0) continue;
        double sd = s.std() == null || !Double.isFinite(s.std()[i]) ? 0 : s.std()[i];
        double lo = y - sd;
        // a band reaching below zero cannot be drawn on a log axis: stop it at half the smallest value shown
        if (p.y().logarithmic() && lo <= 0) lo = minPositive / 2;
        ys.add(x, y, lo, y + sd);
      }
      ds.addSeries(ys);
      plot.setDataset(k, ds);
      plot.setRenderer(k, renderer(s));
      k++;
    }
    for (Panel.VLine v : p.vlines()) {
      ValueMarker m = new ValueMarker(v.x(), new Color(0x444444), dotted(1.2f));
      m.setLabel(v.label());
      m.setLabelFont(TICK_FONT);
      m.setLabelAnchor(RectangleAnchor.TOP_RIGHT);
      m.setLabelTextAnchor(TextAnchor.TOP_LEFT);
      m.setLabelOffset(new RectangleInsets(4, 4, 4, 4));
      plot.addDomainMarker(m, Layer.FOREGROUND);
    }
    return plot;
  }

  /** A log axis over a single value (one point, or all equal) gets a range of a factor 2 either side. */
  private static void fixDegenerateLogRange(ValueAxis axis, Axis a, List<Series> series, boolean x) {
    if (!a.logarithmic()) return;
    double lo = Double.POSITIVE_INFINITY;
    double hi = Double.NEGATIVE_INFINITY;
    for (Series s : series) {
      for (double v : x ? s.x() : s.y()) {
        if (v > 0 && Double.isFinite(v)) {
          lo = Math.min(lo, v);
          hi = Math.max(hi, v);
        }
      }
    }
    if (lo == hi) axis.setRange(lo / 2, hi * 2);
  }

  /**
   * A linear value axis whose values are all (nearly) equal would zoom into rounding noise and label
   * every tick with the same number: show the value with 5 % of its size either side instead.
   */
  private static void fixFlatLinearRange(ValueAxis axis, Axis a, List<Series> series) {
    if (a.scale() != Axis.Scale.LINEAR) return;
    double lo = Double.POSITIVE_INFINITY;
    double hi = Double.NEGATIVE_INFINITY;
    for (Series s : series) {
      for (int i = 0; i < s.y().length; i++) {
        double v = s.y()[i];
        if (!Double.isFinite(v)) continue;
        double sd = s.std() == null || !Double.isFinite(s.std()[i]) ? 0 : s.std()[i];
        lo = Math.min(lo, v - sd);
        hi = Math.max(hi, v + sd);
      }
    }
    double size = Math.max(Math.abs(lo), Math.abs(hi));
    if (!(size > 0) || hi - lo >= 1e-3 * size) return;
    axis.setRange(lo - 0.05 * size, hi + 0.05 * size);
  }

  private static XYLineAndShapeRenderer renderer(Series s) {
    Color c = s.opacity() < 1f ? withAlpha(s.color(), s.opacity()) : s.color();
    Stroke stroke = s.dashed() ? dashed(s.width()) : new BasicStroke(s.width(), BasicStroke.CAP_ROUND, BasicStroke.JOIN_ROUND);
    XYLineAndShapeRenderer r = switch (s.style()) {
      case LINE -> new XYLineAndShapeRenderer(true, false);
      case BAND -> {
        DeviationRenderer d = new DeviationRenderer(true, false);
        d.setAlpha(0.2f);
        d.setSeriesFillPaint(0, s.color());
        yield d;
      }
      case ERRORBARS, INTERVALS -> {
        XYErrorRenderer e = new XYErrorRenderer();
        e.setDrawXError(false);
        e.setDrawYError(true);
        e.setCapLength(5);
        e.setErrorStroke(new BasicStroke(1.1f));
        boolean centre = s.style() == Series.Style.ERRORBARS;
        e.setDefaultLinesVisible(centre);
        e.setDefaultShapesVisible(centre);
        e.setSeriesLinesVisible(0, centre);
        e.setSeriesShapesVisible(0, centre);
        yield e;
      }
      case POINTS -> new XYLineAndShapeRenderer(false, true);
      case MARKERS -> new XYLineAndShapeRenderer(true, true);
    };
    r.setSeriesPaint(0, c);
    r.setSeriesStroke(0, stroke);
    r.setSeriesShape(0, new Ellipse2D.Double(-3.5, -3.5, 7, 7));
    r.setDrawSeriesLineAsPath(true);
    return r;
  }

  static Color withAlpha(Color c, float alpha) {
    return new Color(c.getRed(), c.getGreen(), c.getBlue(), Math.round(alpha * 255));
  }

  static Stroke dashed(float width) {
    return new BasicStroke(width, BasicStroke.CAP_BUTT, BasicStroke.JOIN_ROUND, 1f, new float[] {6f, 4f}, 0f);
  }

  static Stroke dotted(float width) {
    return new BasicStroke(width, BasicStroke.CAP_ROUND, BasicStroke.JOIN_ROUND, 1f, new float[] {1.5f, 3f}, 0f);
  }

  static ValueAxis axis(Axis a) {
    ValueAxis axis = switch (a.scale()) {
      case LINEAR -> {
        NumberAxis n = new NumberAxis(a.title());
        n.setAutoRangeIncludesZero(false);
        n.setAutoRangeMinimumSize(1e-3);
        n.setNumberFormatOverride(new DecimalFormat("#,##0.###"));
        yield n;
      }
      case STEPS -> {
        NumberAxis n = new NumberAxis(a.title());
        n.setAutoRangeIncludesZero(false);
        n.setAutoRangeMinimumSize(2);
        n.setStandardTickUnits(NumberAxis.createIntegerTickUnits());
        yield n;
      }
      case RANGE -> {
        NumberAxis n = new NumberAxis(a.title());
        n.setRange(a.ticks()[0], a.ticks()[1]);
        n.setNumberFormatOverride(new DecimalFormat("0.0##"));
        yield n;
      }
      case UNIT -> {
        NumberAxis n = new NumberAxis(a.title());
        n.setRange(-0.03, 1.03);
        n.setTickUnit(new NumberTickUnit(0.2, new DecimalFormat("0.0")));
        yield n;
      }
      case LOG -> new TickedLogAxis(a.title(), 10, a.ticks());
      case LOG2 -> new TickedLogAxis(a.title(), 2, a.ticks());
    };
    axis.setLabelFont(LABEL_FONT);
    axis.setTickLabelFont(TICK_FONT);
    return axis;
  }

  /**
   * A log axis whose ticks read at a glance: fixed ticks when given; base 2: the powers of two in
   * range; base 10: decades when the range spans two or more, else 1-2-5 steps (a loss between
   * 1.8 and 3.9 still gets labelled ticks), labels as plain decimals where short.
   */
  static final class TickedLogAxis extends LogAxis {
    private final double[] fixed;

    TickedLogAxis(String title, double base, double[] fixed) {
      super(title);
      setBase(base);
      setSmallestValue(1e-12);
      this.fixed = fixed;
    }

    /** A single value (one point, or all equal) has no length to fit: a factor 2 either side. */
    @Override
    protected void autoAdjustRange() {
      try {
        super.autoAdjustRange();
      } catch (IllegalArgumentException e) {
        if (getPlot() instanceof org.jfree.chart.plot.ValueAxisPlot vap) {
          org.jfree.data.Range r = vap.getDataRange(this);
          if (r != null && r.getLowerBound() > 0) {
            setRange(new org.jfree.data.Range(r.getLowerBound() / 2, r.getUpperBound() * 2), false, false);
            return;
          }
        }
        throw e;
      }
    }

    @Override
    protected List refreshTicksHorizontal(Graphics2D g2, Rectangle2D dataArea, RectangleEdge edge) {
      return ticks(TextAnchor.TOP_CENTER);
    }

    @Override
    protected List refreshTicksVertical(Graphics2D g2, Rectangle2D dataArea, RectangleEdge edge) {
      return ticks(TextAnchor.CENTER_RIGHT);
    }

    private List<NumberTick> ticks(TextAnchor anchor) {
      List<NumberTick> out = new ArrayList<>();
      for (double v : values()) out.add(new NumberTick(TickType.MAJOR, v, label(v), anchor, TextAnchor.CENTER, 0));
      return out;
    }

    List<Double> values() {
      double lo = getLowerBound();
      double hi = getUpperBound();
      List<Double> out = new ArrayList<>();
      if (fixed != null) {
        for (double v : fixed) if (v >= lo * (1 - 1e-9) && v <= hi * (1 + 1e-9)) out.add(v);
        return out;
      }
      double base = getBase();
      int first = (int) Math.floor(Math.log(lo) / Math.log(base));
      int last = (int) Math.ceil(Math.log(hi) / Math.log(base));
      if (base == 2 || last - first >= 4) {
        int step = Math.max(1, (last - first) / 8);
        for (int e = first; e <= last; e += step) {
          double v = Math.pow(base, e);
          if (v >= lo && v <= hi) out.add(v);
        }
        if (out.size() >= 2) return out;
        out.clear();
      }
      double[][] choices = {{1, 2, 5}, {1, 1.5, 2, 3, 4, 5, 6, 7, 8, 9}, tenths()};
      for (double[] mantissas : choices) {
        out.clear();
        for (int e = first; e <= last; e++) {
          for (double m : mantissas) {
            double v = m * Math.pow(10, e);
            if (v >= lo && v <= hi) out.add(v);
          }
        }
        if (out.size() >= 3) break;
      }
      if (out.size() > 9) { // thin a crowded axis to every k-th tick
        int k = (out.size() + 7) / 8;
        List<Double> thin = new ArrayList<>();
        for (int i = 0; i < out.size(); i += k) thin.add(out.get(i));
        return thin;
      }
      return out;
    }

    private static double[] tenths() {
      double[] m = new double[90];
      for (int i = 0; i < 90; i++) m[i] = 1 + i / 10.0;
      return m;
    }

    private String label(double v) {
      if (getBase() == 2 && v >= 1) return String.format(Locale.ROOT, "%d", Math.round(v));
      double a = Math.abs(v);
      if (a >= 1e-3 && a < 1e5) {
        String s = new DecimalFormat("0.#####").format(v);
        return s;
      }
      int e = (int) Math.floor(Math.log10(a) + 1e-9);
      double m = v / Math.pow(10, e);
      String mant = Math.abs(m - Math.rint(m)) < 1e-6 ? Long.toString(Math.round(m)) : String.format(Locale.ROOT, "%.1f", m);
      return (mant.equals("1") ? "" : mant + "×") + "1e" + e;
    }
  }

  // ---------------------------------------------------------------- heat maps

  private static XYPlot heatmap(Panel.Heatmap h) {
    int rows = h.values().length;
    int cols = rows == 0 ? 0 : h.values()[0].length;
    List<double[]> cells = new ArrayList<>();
    for (int i = 0; i < rows; i++) {
      for (int j = 0; j < cols; j++) {
        double v = h.values()[i][j];
        if (Double.isFinite(v)) cells.add(new double[] {j, i, v});
      }
    }
    double[][] xyz = new double[3][cells.size()];
    for (int n = 0; n < cells.size(); n++) for (int d = 0; d < 3; d++) xyz[d][n] = cells.get(n)[d];
    DefaultXYZDataset ds = new DefaultXYZDataset();
    ds.addSeries("weights", xyz);
    XYBlockRenderer r = new XYBlockRenderer();
    r.setPaintScale(Palette.viridisScale(h.lower(), h.upper()));
    SymbolAxis x = tokenAxis(h.xTitle(), h.xTokens());
    SymbolAxis y = tokenAxis(h.yTitle(), h.yTokens());
    y.setInverted(true);
    XYPlot plot = new XYPlot(ds, x, y, r);
    plot.setDomainGridlinesVisible(false);
    plot.setRangeGridlinesVisible(false);
    plot.setBackgroundPaint(Color.WHITE);
    if (h.annotate()) {
      Font f = new Font(Font.SANS_SERIF, Font.PLAIN, cols <= 8 ? 10 : 8);
      for (double[] c : cells) {
        XYTextAnnotation a = new XYTextAnnotation(String.format(Locale.ROOT, "%.2f", c[2]), c[0], c[1]);
        a.setFont(f);
        a.setPaint(Palette.textOn(Palette.viridis((c[2] - h.lower()) / (h.upper() - h.lower()))));
        a.setTextAnchor(TextAnchor.CENTER);
        plot.addAnnotation(a);
      }
    }
    return plot;
  }

  private static SymbolAxis tokenAxis(String title, List<String> tokens) {
    SymbolAxis a = new SymbolAxis(title, tokens.toArray(String[]::new));
    a.setGridBandsVisible(false);
    a.setAutoRange(false);
    a.setRange(-0.5, tokens.size() - 0.5);
    a.setLabelFont(LABEL_FONT);
    a.setTickLabelFont(TICK_FONT);
    return a;
  }
}
