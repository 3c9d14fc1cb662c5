/**
 * Tasks: the registry ({@link lmlab.lab.Tasks}) and what a registered task declares
 * ({@link lmlab.lab.LabTask}, {@link lmlab.lab.TaskType}); each task lives in a sub-package
 * (lab.arith now, lab.text next).
 */
package lmlab.lab;
