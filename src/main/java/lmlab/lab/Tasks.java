package lmlab.lab;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import lmlab.lab.arith.ArithmeticTaskType;
import lmlab.lab.text.TextTaskType;

/**
 * The task registry: {@code lmlab train --task NAME}, sweeps, and resuming a run find tasks here.
 * To add a task: implement {@link LabTask} and {@link TaskType} in a package lab.&lt;name&gt;, then add
 * its type to {@link #ALL}.
 */
public final class Tasks {
  /** Every registered task; the first is the default. */
  public static final List<TaskType> ALL = List.of(new ArithmeticTaskType(), new TextTaskType());

  private Tasks() {}

  public static TaskType defaultType() {
    return ALL.getFirst();
  }

  /** The task named name (or one of its aliases), case-insensitive; an error lists the names there are. */
  public static TaskType get(String name) {
    String n = name == null ? "" : name.trim().toLowerCase(Locale.ROOT);
    for (TaskType t : ALL) {
      if (t.name().equals(n) || t.aliases().contains(n)) return t;
    }
    throw new IllegalArgumentException("unknown task '" + name + "'; tasks: " + String.join(", ", names()));
  }

  public static List<String> names() {
    List<String> out = new ArrayList<>();
    for (TaskType t : ALL) out.add(t.name());
    return out;
  }
}
