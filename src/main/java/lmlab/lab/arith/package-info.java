/**
 * The modular-arithmetic lab (the course's grokking experiment, spec arithmetic.md): the data
 * set and its split ({@link lmlab.lab.arith.ArithmeticConfig}, {@link lmlab.lab.arith.ArithmeticDataset}),
 * the tokenizer ({@link lmlab.lab.arith.ArithmeticVocab}), the right-hand-side loss and accuracy
 * ({@link lmlab.lab.arith.RhsLoss}), and the task ({@link lmlab.lab.arith.ArithmeticTask}, registered
 * as {@code arith} by {@link lmlab.lab.arith.ArithmeticTaskType}).
 */
package lmlab.lab.arith;
