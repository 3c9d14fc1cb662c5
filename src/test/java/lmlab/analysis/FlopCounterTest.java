package lmlab.analysis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import lmlab.nn.Linear;
import lmlab.tensor.Rng;
import lmlab.tensor.Tensor;
import org.junit.jupiter.api.Test;

/** The counting scope itself: 2abc per product, only inside the scope, only on its thread. */
class FlopCounterTest {
  @Test
  void countsEveryForwardProductOnce() {
    Rng rng = new Rng(3);
    Tensor a = Tensor.randn(rng, 3, 4, 5).requiresGrad(true); // batch 3 of (4 × 5)
    Tensor b = Tensor.randn(rng, 5, 6);
    Linear lin = new Linear(6, 7, true, rng);
    Tensor y;
    try (FlopCounter c = FlopCounter.open()) {
      Tensor ab = a.matmul(b); //                              2·3·4·5·6
      y = lin.forward(ab); //                                  2·12·6·7
      assertEquals(2L * 3 * 4 * 5 * 6 + 2L * 12 * 6 * 7, c.total());
      assertEquals(List.of("matmul", "linear"), c.products().stream().map(FlopCounter.Product::op).toList());
      assertEquals("Linear", c.products().get(1).module()); // no root: named by class
      y.sum().backward(); // backward products are not forward FLOPs
      assertEquals(2L * 3 * 4 * 5 * 6 + 2L * 12 * 6 * 7, c.total());
    }
    try (FlopCounter c = FlopCounter.open()) {
      c.close();
      a.matmul(b);
      assertEquals(0, c.total(), "nothing is counted after close");
    }
  }

  @Test
  void otherThreadsAreNotCounted() throws Exception {
    Tensor a = Tensor.randn(new Rng(1), 8, 8);
    AtomicLong elsewhere = new AtomicLong(-1);
    try (FlopCounter c = FlopCounter.open()) {
      Thread t = new Thread(() -> {
        a.matmul(a);
        try (FlopCounter own = FlopCounter.open()) {
          a.matmul(a);
          elsewhere.set(own.total());
        }
      });
      t.start();
      t.join();
      a.matmul(a);
      assertEquals(2L * 8 * 8 * 8, c.total());
    }
    assertEquals(2L * 8 * 8 * 8, elsewhere.get());
  }

  @Test
  void namesModulesByPath() {
    Linear lin = new Linear(4, 2, false, new Rng(0));
    try (FlopCounter c = FlopCounter.open(lin)) {
      lin.forward(Tensor.randn(new Rng(2), 5, 4));
      assertEquals("(model)", c.products().getFirst().module());
      assertEquals(2L * 5 * 4 * 2, c.byModule().get("(model)"));
      assertTrue(c.total("(model)") > 0);
    }
  }
}
