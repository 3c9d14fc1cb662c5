/**
 * Runs as a whole: a run resolved from flat settings ({@link lmlab.runs.RunSpec}), reading run
 * directories ({@link lmlab.runs.RunRecord}), grouping runs that differ only in their seeds
 * ({@link lmlab.runs.RunGroups}) and mean ± std across them ({@link lmlab.runs.MeanStd}), and the
 * sweeps of experiments.md. Above train (it drives the trainer) and lab (it builds tasks by name).
 */
package lmlab.runs;
