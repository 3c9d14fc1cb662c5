package lmlab.nn;

import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.Type;
import java.util.ArrayList;
import java.util.List;

/**
 * Keeps a module tree's Java references in step with its registry during surgery. A layer holds
 * its children twice: registered by name (what the state dict and {@link Module#replaceChild}
 * see) and in fields its forward reads ({@code this.qProj = child("q_proj", ...)}), as PyTorch
 * holds them once as attributes. So replacing a child rewrites every field, list element and array
 * element of every module in the tree that points at the old child. Each is checked before any is
 * written: a field or container typed so that it cannot hold the replacement is an error naming
 * the module, the field and both types, and then nothing has changed.
 */
final class ChildReferences {
  private ChildReferences() {}

  static void redirect(Module root, Module old, Module replacement, String path) {
    List<Runnable> writes = new ArrayList<>();
    for (var holder : root.namedModules().entrySet()) {
      Module m = holder.getValue();
      for (Class<?> c = m.getClass(); c != null && c != Module.class; c = c.getSuperclass()) {
        for (Field f : c.getDeclaredFields()) {
          if (Modifier.isStatic(f.getModifiers()) || f.getType().isPrimitive()) continue;
          collect(m, holder.getKey(), f, old, replacement, path, writes);
        }
      }
    }
    for (Runnable w : writes) w.run();
  }

  private static void collect(Module m, String at, Field f, Module old, Module replacement, String path,
      List<Runnable> writes) {
    Object v = read(m, f);
    if (v == old) {
      check(f.getType(), m, at, f, replacement, path);
      writes.add(() -> write(m, f, replacement));
    } else if (v instanceof List<?> list) {
      for (int i = 0; i < list.size(); i++) {
        if (list.get(i) != old) continue;
        check(elementType(f.getGenericType()), m, at, f, replacement, path);
        @SuppressWarnings("unchecked") List<Object> target = (List<Object>) list;
        int index = i;
        writes.add(() -> {
          try {
            target.set(index, replacement);
          } catch (UnsupportedOperationException e) {
            throw new IllegalStateException(describe(m, at, f) + " is an unmodifiable list holding '" + path + "'", e);
          }
        });
      }
    } else if (v instanceof Object[] array) {
      for (int i = 0; i < array.length; i++) {
        if (array[i] != old) continue;
        check(array.getClass().getComponentType(), m, at, f, replacement, path);
        int index = i;
        writes.add(() -> array[index] = replacement);
      }
    }
  }

  private static void check(Class<?> type, Module m, String at, Field f, Module replacement, String path) {
    if (!type.isInstance(replacement)) {
      throw new IllegalArgumentException("cannot replace '" + path + "' by a " + replacement.getClass().getSimpleName()
          + ": " + describe(m, at, f) + " holds it as " + type.getSimpleName());
    }
  }

  private static String describe(Module m, String at, Field f) {
    return m.getClass().getSimpleName() + (at.isEmpty() ? "" : " '" + at + "'") + " (field " + f.getName() + ")";
  }

  /** A List<T> field's T as a class (Object when it is not spelled out). */
  private static Class<?> elementType(Type t) {
    if (t instanceof ParameterizedType p && p.getActualTypeArguments().length == 1) {
      Type a = p.getActualTypeArguments()[0];
      if (a instanceof Class<?> c) return c;
      if (a instanceof ParameterizedType pa && pa.getRawType() instanceof Class<?> c) return c;
    }
    return Object.class;
  }

  private static Object read(Module m, Field f) {
    try {
      f.setAccessible(true);
      return f.get(m);
    } catch (ReflectiveOperationException | RuntimeException e) {
      return null; // a field this module cannot open holds no child of ours
    }
  }

  private static void write(Module m, Field f, Module value) {
    try {
      f.set(m, value);
    } catch (IllegalAccessException e) {
      throw new IllegalStateException("cannot redirect " + f + ": " + e.getMessage(), e);
    }
  }
}
