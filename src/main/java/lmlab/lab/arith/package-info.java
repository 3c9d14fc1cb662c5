/**
 * The modular-arithmetic lab (the course's grokking experiment, spec arithmetic.md): the data
 * set and its split ({@link lmlab.lab.arith.ArithmeticConfig}, {@link lmlab.lab.arith.ArithmeticDataset}),
 * the tokenizer ({@link lmlab.lab.arith.ArithmeticVocab}), the right-hand-side loss and accuracy
 * ({@link lmlab.lab.arith.RhsLoss}), the trainer's {@link lmlab.train.Task}
 * ({@link lmlab.lab.arith.ArithmeticTask}) and the run metrics reported by
 * {@code lmlab runs summarize} ({@link lmlab.lab.arith.RunMetrics}, {@link lmlab.lab.arith.MeanStd},
 * {@link lmlab.lab.arith.RunRecord}, {@link lmlab.lab.arith.RunGroups}).
 */
package lmlab.lab.arith;
