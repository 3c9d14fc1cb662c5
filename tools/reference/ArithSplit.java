/**
 * Prints lmlab's train/validation split of p = 31 addition for a seed as JSON {"train": [[a, b], ...],
 * "val": [...]}, for course_trainer.py --split. Run with the built jar on the class path:
 * java --add-modules jdk.incubator.vector -cp target/lmlab.jar tools/reference/ArithSplit.java SEED
 */
import lmlab.lab.arith.*;
public class ArithSplit {
  public static void main(String[] a) {
    long seed = Long.parseLong(a[0]);
    var ds = ArithmeticDataset.of(new ArithmeticConfig(31, Operator.parse("+"), java.util.List.of(2), 0.5, seed));
    StringBuilder sb = new StringBuilder("{");
    String[] names = {"train", "val"};
    ArithmeticSplit[] sp = {ds.train(), ds.val()};
    for (int s = 0; s < 2; s++) {
      sb.append(s == 0 ? "" : ",").append('"').append(names[s]).append("\":[");
      for (int i = 0; i < sp[s].size(); i++) { int[] q = sp[s].sequence(i); sb.append(i == 0 ? "" : ",").append("[" + q[1] + "," + q[3] + "]"); }
      sb.append("]");
    }
    System.out.println(sb.append("}"));
  }
}
