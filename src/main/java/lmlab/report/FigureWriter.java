package lmlab.report;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.FontMetrics;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.geom.Line2D;
import java.awt.geom.Rectangle2D;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import javax.imageio.ImageIO;
import org.jfree.chart.LegendItem;
import org.jfree.chart.LegendItemCollection;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.block.BlockBorder;
import org.jfree.chart.block.LengthConstraintType;
import org.jfree.chart.block.RectangleConstraint;
import org.jfree.chart.title.LegendTitle;
import org.jfree.chart.title.PaintScaleLegend;
import org.jfree.chart.title.Title;
import org.jfree.chart.ui.HorizontalAlignment;
import org.jfree.chart.ui.RectangleEdge;
import org.jfree.chart.ui.RectangleInsets;
import org.jfree.chart.ui.Size2D;
import org.jfree.data.Range;
import org.jfree.svg.SVGGraphics2D;

/**
 * Draws a {@link Figure} (panels through JFreeChart, then its title and legend) onto any
 * Graphics2D, and writes it as PNG ({@link Figure#PIXEL_DENSITY}× pixels per unit) and SVG
 * (JFreeSVG: text stays text, so axis titles are searchable). Files are written to a temporary
 * sibling and moved into place. Headless: no display is ever opened.
 */
public final class FigureWriter {
  static {
    System.setProperty("java.awt.headless", "true");
    // rotated axis titles as rotated text, not glyph outlines: the SVG keeps them as <text>
    org.jfree.chart.text.TextUtils.setUseDrawRotatedStringWorkaround(false);
  }

  private FigureWriter() {}

  /** Writes dir/&lt;id&gt;.png and dir/&lt;id&gt;.svg; returns the PNG's path. */
  public static Path write(Figure f, Path dir) throws IOException {
    write(f, dir, svgElement(f));
    return dir.resolve(f.id() + ".png");
  }

  /** As {@link #write(Figure, Path)} with the figure's SVG element already drawn (the report inlines the same). */
  public static void write(Figure f, Path dir, String svgElement) throws IOException {
    Files.createDirectories(dir);
    writePng(f, dir.resolve(f.id() + ".png"));
    writeAtomically(dir.resolve(f.id() + ".svg"), (XML_DECLARATION + svgElement + "\n").getBytes(StandardCharsets.UTF_8));
  }

  private static final String XML_DECLARATION = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";

  public static void writePng(Figure f, Path file) throws IOException {
    int s = Figure.PIXEL_DENSITY;
    BufferedImage img = new BufferedImage(f.width() * s, f.height() * s, BufferedImage.TYPE_INT_RGB);
    Graphics2D g = img.createGraphics();
    try {
      g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
      g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
      g.setRenderingHint(RenderingHints.KEY_STROKE_CONTROL, RenderingHints.VALUE_STROKE_PURE);
      g.scale(s, s);
      draw(f, g);
    } finally {
      g.dispose();
    }
    Path tmp = file.resolveSibling("." + file.getFileName() + ".tmp");
    try (OutputStream out = Files.newOutputStream(tmp)) {
      if (!ImageIO.write(img, "png", out)) throw new IOException("no PNG writer in this JDK");
    }
    Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
  }

  /** A standalone SVG file: the XML declaration and the element (no DOCTYPE: nothing to fetch). */
  public static String svgDocument(Figure f) {
    return XML_DECLARATION + svgElement(f) + "\n";
  }

  /**
   * An &lt;svg&gt; element to inline into HTML; its definitions (clip paths) are prefixed with
   * the figure id so that several figures can share one page.
   */
  public static String svgElement(Figure f) {
    // a viewBox, so that CSS can scale a wide figure to the page instead of cropping it
    return svg(f).getSVGElement("fig-" + f.id(), true, new org.jfree.svg.ViewBox(0, 0, f.width(), f.height()), null, null);
  }

  private static SVGGraphics2D svg(Figure f) {
    SVGGraphics2D g = new SVGGraphics2D(f.width(), f.height());
    g.setDefsKeyPrefix(f.id().replaceAll("[^A-Za-z0-9_-]", "_") + "-");
    draw(f, g);
    return g;
  }

  /** Draws the whole figure in units (0, 0) – (width, height). */
  public static void draw(Figure f, Graphics2D g) {
    g.setPaint(Color.WHITE);
    g.fill(new Rectangle2D.Double(0, 0, f.width(), f.height()));
    double top = 0;
    if (f.hasTitle()) {
      g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 16));
      g.setPaint(Color.BLACK);
      FontMetrics fm = g.getFontMetrics();
      double w = fm.getStringBounds(f.title(), g).getWidth();
      g.drawString(f.title(), (float) ((f.cols() * Figure.PANEL_WIDTH - w) / 2), (float) (Figure.TITLE_HEIGHT - 8));
      top = Figure.TITLE_HEIGHT;
    }
    List<Panel> panels = f.panels();
    for (int i = 0; i < panels.size(); i++) {
      int r = i / f.cols();
      int c = i % f.cols();
      Charts.chart(panels.get(i)).draw(g, new Rectangle2D.Double(
          c * Figure.PANEL_WIDTH, top + r * Figure.PANEL_HEIGHT, Figure.PANEL_WIDTH, Figure.PANEL_HEIGHT));
    }
    if (f.hasLegend()) {
      Rectangle2D strip = new Rectangle2D.Double(f.cols() * Figure.PANEL_WIDTH, top, f.legendWidth(),
          f.rows() * Figure.PANEL_HEIGHT);
      drawLegend(f.legend(), g, strip);
    }
  }

  private static void drawLegend(Legend legend, Graphics2D g, Rectangle2D strip) {
    Title t = switch (legend) {
      case Legend.None n -> null;
      case Legend.Categories c -> categories(c);
      case Legend.ColourBar b -> colourBar(b, strip.getHeight());
    };
    if (t == null) return;
    if (legend instanceof Legend.ColourBar b && !b.keys().isEmpty()) {
      // the line-style keys below, the bar above them
      LegendTitle keys = categories(new Legend.Categories(null, b.keys()));
      double kh = 24.0 * b.keys().size() + 8;
      Size2D ks = keys.arrange(g, new RectangleConstraint(strip.getWidth(), new Range(0, strip.getWidth()),
          LengthConstraintType.RANGE, kh, new Range(0, kh), LengthConstraintType.RANGE));
      keys.draw(g, new Rectangle2D.Double(strip.getX(), strip.getMaxY() - kh - 8, Math.min(ks.width, strip.getWidth()), ks.height));
      strip = new Rectangle2D.Double(strip.getX(), strip.getY(), strip.getWidth(), strip.getHeight() - kh - 8);
    }
    double maxH = legend instanceof Legend.ColourBar ? Math.min(strip.getHeight() - 40, 300) : strip.getHeight();
    RectangleConstraint rc = new RectangleConstraint(strip.getWidth(), new Range(0, strip.getWidth()),
        LengthConstraintType.RANGE, maxH, new Range(0, maxH), LengthConstraintType.RANGE);
    Size2D size = t.arrange(g, rc);
    double h = legend instanceof Legend.ColourBar ? maxH : size.height;
    double y = strip.getY() + (strip.getHeight() - h) / 2;
    if (legend instanceof Legend.Categories c && c.title() != null && !c.title().isEmpty()) {
      Font tf = new Font(Font.SANS_SERIF, Font.BOLD, 12);
      g.setFont(tf);
      g.setPaint(Color.BLACK);
      g.drawString(c.title(), (float) (strip.getX() + 8), (float) (y - 6));
    }
    t.draw(g, new Rectangle2D.Double(strip.getX(), y, Math.min(size.width, strip.getWidth()), h));
  }

  private static LegendTitle categories(Legend.Categories c) {
    LegendItemCollection items = new LegendItemCollection();
    for (Legend.Entry e : c.entries()) {
      LegendItem item;
      if (e.marker()) {
        item = new LegendItem(e.label(), null, null, null, true, new java.awt.geom.Ellipse2D.Double(-4, -4, 8, 8), true,
            e.color(), false, e.color(), new BasicStroke(1f), true, new Line2D.Double(-12, 0, 12, 0),
            e.dashed() ? Charts.dashed(1.8f) : new BasicStroke(1.8f), e.color());
      } else {
        item = new LegendItem(e.label(), null, null, null, new Line2D.Double(-14, 0, 14, 0),
            e.dashed() ? Charts.dashed(1.8f) : new BasicStroke(1.8f), e.color());
      }
      items.add(item);
    }
    LegendTitle t = new LegendTitle(() -> items);
    t.setPosition(RectangleEdge.RIGHT);
    t.setItemFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
    t.setFrame(BlockBorder.NONE);
    t.setBackgroundPaint(Color.WHITE);
    t.setHorizontalAlignment(HorizontalAlignment.LEFT);
    t.setPadding(new RectangleInsets(2, 6, 2, 4));
    return t;
  }

  private static PaintScaleLegend colourBar(Legend.ColourBar b, double height) {
    NumberAxis axis = new NumberAxis(b.title());
    double lo = b.lower();
    double hi = b.upper() > b.lower() ? b.upper() : b.lower() + 1;
    axis.setRange(lo, hi);
    axis.setLabelFont(Charts.LABEL_FONT);
    axis.setTickLabelFont(Charts.TICK_FONT);
    axis.setTickUnit(new org.jfree.chart.axis.NumberTickUnit(niceStep((hi - lo) / 5), new java.text.DecimalFormat("0.###")));
    PaintScaleLegend l = new PaintScaleLegend(Palette.viridisScale(lo, hi), axis);
    l.setPosition(RectangleEdge.RIGHT);
    l.setStripWidth(16);
    l.setSubdivisionCount(128);
    l.setAxisOffset(4);
    l.setPadding(new RectangleInsets(4, 14, 4, 8));
    l.setStripOutlineVisible(true);
    return l;
  }

  /** 1, 2, 2.5 or 5 times a power of ten, at least raw (colour-bar ticks that do not crowd). */
  static double niceStep(double raw) {
    double p = Math.pow(10, Math.floor(Math.log10(raw)));
    for (double m : new double[] {1, 2, 2.5, 5, 10}) if (m * p >= raw * (1 - 1e-9)) return m * p;
    return 10 * p;
  }

  static void writeAtomically(Path file, byte[] bytes) throws IOException {
    Path tmp = file.resolveSibling("." + file.getFileName() + ".tmp");
    Files.write(tmp, bytes);
    Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
  }
}
