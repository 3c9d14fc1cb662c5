package lmlab.nn.weights;

import static lmlab.testing.FixtureAssert.assertMatchesFixture;
import static lmlab.testing.FixtureAssert.fixture;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Random;
import lmlab.io.SafetensorsFile;
import lmlab.tensor.Tensor;
import org.junit.jupiter.api.Test;

/**
 * The quantisers of spec lora.md against the bitsandbytes/course fixtures (codes exactly, values
 * under both tolerance rules), the packed storage sizes of the spec's table, and the products of
 * {@link QuantizedWeights} against float32 products of the dequantised matrix.
 */
class QuantizersTest {

  static void checkCodes(SafetensorsFile f, String prefix, QuantizedTensor q) {
    int[] want = f.ints(prefix + "codes").toArray();
    for (int i = 0; i < want.length; i++) {
      assertThat(q.signedCode(i)).as("%scodes[%d]", prefix, i).isEqualTo(want[i]);
    }
  }

  static float[] scales(QuantizedTensor q) {
    float[] s = new float[q.numBlocks()];
    for (int k = 0; k < s.length; k++) s[k] = q.scale(k);
    return s;
  }

  void absmax(String name, int m, String prefix) {
    SafetensorsFile f = fixture(name);
    Tensor w = f.tensor(prefix + "weight");
    QuantizedTensor q = Quantizers.quantize(w.toArray(), QuantMethod.parse("absmax-m" + m, 64));
    checkCodes(f, prefix, q);
    assertMatchesFixture(f, prefix + "delta", Tensor.scalar(q.scale(0)));
    assertMatchesFixture(f, prefix + "dequant", Tensor.of(q.dequantize(), w.shape()));
    assertThat(q.bytes()).isEqualTo((w.numel() * m + 7) / 8 + 4);
  }

  @Test
  void absmaxPerTensorM3M4M8() {
    absmax("quant_absmax_m3", 3, "");
    absmax("quant_absmax_m4", 4, "");
    absmax("quant_absmax_m8", 8, "");
  }

  @Test
  void tiesRoundHalfToEven() {
    absmax("quant_absmax_m4", 4, "ties.");
  }

  @Test
  void blockwiseInt8() {
    SafetensorsFile f = fixture("quant_blockwise_int8_b64");
    Tensor w = f.tensor("weight");
    QuantizedTensor q = Quantizers.quantize(w.toArray(), QuantMethod.parse("int8", 64));
    checkCodes(f, "", q);
    assertThat(q.numBlocks()).isEqualTo(13);
    assertMatchesFixture(f, "delta", Tensor.of(scales(q), 13));
    assertMatchesFixture(f, "dequant", Tensor.of(q.dequantize(), w.shape()));
    assertThat(q.bytes()).isEqualTo(800 + 4 * 13);
  }

  @Test
  void nf4Blockwise() {
    SafetensorsFile f = fixture("quant_nf4_b64");
    Tensor w = f.tensor("weight");
    assertThat(Quantizers.nf4CodeBook()).containsExactly(f.tensor("code").toArray());
    QuantizedTensor q = Quantizers.quantize(w.toArray(), QuantMethod.parse("nf4", 64));
    checkCodes(f, "", q);
    assertMatchesFixture(f, "absmax", Tensor.of(scales(q), q.numBlocks()));
    assertMatchesFixture(f, "dequant", Tensor.of(q.dequantize(), w.shape()));
    assertThat(q.bytes()).isEqualTo((720 + 1) / 2 + 4 * 12);
  }

  @Test
  void nf4DoubleQuantisation() {
    SafetensorsFile f = fixture("quant_nf4_double");
    Tensor w = f.tensor("weight");
    QuantizedTensor q = Quantizers.quantize(w.toArray(), QuantMethod.parse("nf4-dq", 64));
    checkCodes(f, "", q);
    int[] dq = f.ints("dq_codes").toArray();
    for (int k = 0; k < dq.length; k++) assertThat(q.dqCodes()[k] & 0xff).as("dq_codes[%d]", k).isEqualTo(dq[k]);
    assertMatchesFixture(f, "dq_offset", Tensor.scalar(q.dqOffset()));
    assertMatchesFixture(f, "dq_absmax", Tensor.of(q.dqAbsmax(), q.dqAbsmax().length));
    assertMatchesFixture(f, "absmax_dequant", Tensor.of(scales(q), q.numBlocks()));
    assertMatchesFixture(f, "dequant", Tensor.of(q.dequantize(), w.shape()));
    // either table meets the fixture: ours differs from bitsandbytes' float32 one by an ulp at most
    float[] bnb = f.tensor("dq_code").toArray();
    float[] ours = Quantizers.dynamicCodeBook();
    for (int i = 0; i < 256; i++) assertThat(Math.abs(ours[i] - bnb[i])).isLessThanOrEqualTo(Math.ulp(bnb[i]));
    long n = 40 * 420;
    assertThat(q.bytes()).isEqualTo(n / 2 + 263 + 4 * 2 + 4).isEqualTo(QuantMethod.parse("nf4-dq", 64).bytes(n));
  }

  /** Packing round trip for every m and every alignment of a row against the bytes. */
  @Test
  void packedCodesRoundTripForEveryM() {
    Random r = new Random(5);
    for (int m = 2; m <= 8; m++) {
      float[] w = new float[7 * 13];
      for (int i = 0; i < w.length; i++) w[i] = (float) r.nextGaussian();
      for (String name : new String[] {"absmax-m" + m, "blockwise-m" + m}) {
        QuantizedTensor q = Quantizers.quantize(w, QuantMethod.parse(name, 16));
        int qmax = (1 << (m - 1)) - 1;
        float[] d = q.dequantize();
        for (int i = 0; i < w.length; i++) {
          int k = i / q.blockSize();
          assertThat(Math.abs(q.signedCode(i))).isLessThanOrEqualTo(qmax);
          assertThat(d[i]).isEqualTo(q.signedCode(i) * q.scale(k));
          assertThat(Math.abs(d[i] - w[i])).as("%s element %d", name, i).isLessThanOrEqualTo(q.scale(k) / 2 * 1.0001f);
        }
        assertThat(q.bytes()).isEqualTo(QuantMethod.parse(name, 16).bytes(w.length));
      }
    }
  }

  /** Products of the quantised weights equal float32 products of the dequantised matrix (the format's tolerance: rounding only). */
  @Test
  void productsMatchTheDequantisedMatrix() {
    Random r = new Random(9);
    int out = 13;
    int in = 37; // odd: rows start mid-byte for 4-bit codes
    float[] w = new float[out * in];
    for (int i = 0; i < w.length; i++) w[i] = (float) r.nextGaussian();
    for (String name : new String[] {"nf4", "nf4-dq", "int8", "absmax-m3", "blockwise-m5"}) {
      QuantizedWeights qw = QuantizedWeights.quantize(Tensor.of(w, out, in), QuantMethod.parse(name, 64));
      FloatWeights fw = new FloatWeights(Tensor.of(qw.dense(), out, in));
      int n = 3;
      float[] x = new float[n * in];
      for (int i = 0; i < x.length; i++) x[i] = (float) r.nextGaussian();
      float[] b = new float[out];
      for (int j = 0; j < out; j++) b[j] = j;
      float[] y1 = new float[n * out];
      float[] y2 = new float[n * out];
      qw.matmul(x, n, b, 0, y1, false);
      fw.matmul(x, n, b, 0, y2, false);
      assertClose(y1, y2, name + " matmul");
      float[] v1 = new float[out];
      float[] v2 = new float[out];
      qw.rows(0, out, x, in, b, 0, v1, 0, false);
      fw.rows(0, out, x, in, b, 0, v2, 0, false);
      assertClose(v1, v2, name + " rows");
      Tensor xt = Tensor.of(x, n, in).requiresGrad(true);
      Tensor xf = Tensor.of(x, n, in).requiresGrad(true);
      Tensor g = Tensor.of(y1, n, out);
      qw.linear(xt, null).mul(g).sum().backward();
      Tensor lf = fw.linear(xf, null);
      assertClose(qw.linear(xt, null).toArray(), lf.toArray(), name + " linear");
      lf.mul(g).sum().backward();
      assertClose(xt.grad().toArray(), xf.grad().toArray(), name + " dX");
    }
  }

  @Test
  void badMethodsAreNamed() {
    assertThatThrownBy(() -> QuantMethod.parse("absmax-m9", 64)).hasMessage("quantisation method 'absmax-m9': m must be in 2..8, got 9");
    assertThatThrownBy(() -> QuantMethod.parse("int1", 64)).hasMessage("quantisation method 'int1': m must be in 2..8, got 1");
    assertThatThrownBy(() -> QuantMethod.parse("fp4", 64)).hasMessageStartingWith("unknown quantisation method 'fp4': use nf4, nf4-dq");
    assertThatThrownBy(() -> QuantMethod.parse("nf4", 0)).hasMessage("--block-size must be >= 1, got 0");
  }

  static void assertClose(float[] a, float[] b, String what) {
    for (int i = 0; i < a.length; i++) {
      assertThat((double) Math.abs(a[i] - b[i])).as("%s [%d]", what, i).isLessThanOrEqualTo(1e-4 * (1 + Math.abs(b[i])));
    }
  }
}
