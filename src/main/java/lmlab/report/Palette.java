package lmlab.report;

import java.awt.Color;
import java.awt.Paint;
import org.jfree.chart.renderer.PaintScale;

/**
 * The colours of experiments.md's figures: matplotlib's tab10 for categories (model, L,
 * position, n_kv), viridis for ordered parameters (r_train, log2 B, α, weight decay), and the
 * course starter's tab:blue / tab:red for train and validation of a single configuration.
 */
public final class Palette {
  /** matplotlib's tab10 (the default colour cycle). */
  private static final int[] TAB10 = {
    0x1f77b4, 0xff7f0e, 0x2ca02c, 0xd62728, 0x9467bd, 0x8c564b, 0xe377c2, 0x7f7f7f, 0xbcbd22, 0x17becf
  };

  /** viridis sampled at i/9, i = 0..9 (matplotlib's colormap); interpolated linearly between. */
  private static final int[] VIRIDIS = {
    0x440154, 0x482878, 0x3e4989, 0x31688e, 0x26828e, 0x1f9e89, 0x35b779, 0x6ece58, 0xb5de2b, 0xfde725
  };

  public static final Color TRAIN = new Color(0x1f77b4);
  public static final Color VALIDATION = new Color(0xd62728);

  private Palette() {}

  /** The i-th tab10 colour (cycling after ten). */
  public static Color tab10(int i) {
    return new Color(TAB10[Math.floorMod(i, TAB10.length)]);
  }

  /** viridis at t in [0, 1] (clamped). */
  public static Color viridis(double t) {
    if (!(t >= 0)) t = 0;
    if (t > 1) t = 1;
    double pos = t * (VIRIDIS.length - 1);
    int i = Math.min((int) Math.floor(pos), VIRIDIS.length - 2);
    double f = pos - i;
    Color a = new Color(VIRIDIS[i]);
    Color b = new Color(VIRIDIS[i + 1]);
    return new Color(
        (int) Math.round(a.getRed() + f * (b.getRed() - a.getRed())),
        (int) Math.round(a.getGreen() + f * (b.getGreen() - a.getGreen())),
        (int) Math.round(a.getBlue() + f * (b.getBlue() - a.getBlue())));
  }

  /** A viridis paint scale over [lower, upper] for colour bars and heat maps. */
  public static PaintScale viridisScale(double lower, double upper) {
    return new ViridisScale(lower, upper);
  }

  /** Black or white, whichever reads better on the given background (heat-map annotations). */
  public static Color textOn(Color background) {
    double luminance = 0.2126 * background.getRed() + 0.7152 * background.getGreen() + 0.0722 * background.getBlue();
    return luminance > 140 ? Color.BLACK : Color.WHITE;
  }

  private record ViridisScale(double lower, double upper) implements PaintScale {
    @Override
    public double getLowerBound() {
      return lower;
    }

    @Override
    public double getUpperBound() {
      return upper;
    }

    @Override
    public Paint getPaint(double value) {
      return viridis(upper == lower ? 0.5 : (value - lower) / (upper - lower));
    }
  }
}
