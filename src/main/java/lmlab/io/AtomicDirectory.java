package lmlab.io;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Writes a whole directory so that it appears complete or not at all: the content is written into
 * a temporary sibling {@code .<name>.tmp-*}, fsynced, and then swapped into place.
 *
 * <ul>
 *   <li>No directory yet: one atomic rename.
 *   <li>Replacing one on Linux: {@code renameat2(RENAME_EXCHANGE)} swaps the two directories in one
 *       atomic step, then the old content (now under the temporary name) is deleted.
 *   <li>Elsewhere (or where the file system refuses the exchange): the old directory is renamed to a
 *       backup sibling {@code .<name>.old-*}, the new one renamed into place, the backup deleted. A
 *       kill between the two renames leaves no directory under the name but a complete backup;
 *       {@link #recover} (called by every write and by {@link Checkpoint#load}) renames it back.
 * </ul>
 * So a reader sees either the old or the new directory, each complete, never a mixture.
 */
public final class AtomicDirectory {
  /** Fills the temporary directory it is given. */
  @FunctionalInterface
  public interface Content {
    void write(Path tmpDir) throws IOException;
  }

  /** Tests set this to exercise the portable two-rename path. */
  static volatile boolean useExchange = true;

  private AtomicDirectory() {}

  /** Writes dir atomically: content fills a fresh temporary sibling, which then replaces dir. */
  public static void write(Path dir, Content content) throws IOException {
    Path target = dir.toAbsolutePath().normalize();
    Path parent = target.getParent();
    if (parent == null) throw new CheckpointException(dir + ": cannot write a checkpoint at the file system root");
    Files.createDirectories(parent);
    if (Files.exists(target) && !Files.isDirectory(target)) {
      throw new CheckpointException(dir + " exists and is not a directory; refusing to replace it");
    }
    recover(target);
    String name = target.getFileName().toString();
    // One writer per checkpoint: leftovers of a killed earlier write are garbage now.
    for (Path b : siblings(parent, "." + name + ".old-")) deleteTree(b);
    for (Path t : siblings(parent, "." + name + ".tmp-")) deleteTree(t);
    Path tmp = Files.createTempDirectory(parent, "." + name + ".tmp-");
    boolean moved = false;
    try {
      content.write(tmp);
      publishPermissions(tmp);
      syncTree(tmp);
      if (!Files.exists(target)) {
        Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
        moved = true;
      } else if (useExchange && exchange(tmp, target)) {
        moved = true; // tmp now holds the old content
        syncDir(parent);
        deleteTree(tmp);
      } else {
        Path old = parent.resolve("." + name + ".old-" + Long.toHexString(System.nanoTime()));
        Files.move(target, old, StandardCopyOption.ATOMIC_MOVE);
        Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
        moved = true;
        syncDir(parent);
        deleteTree(old);
      }
      syncDir(parent);
    } finally {
      if (!moved) deleteTree(tmp);
    }
  }

  /**
   * Repairs what a write killed between its two renames leaves (portable path only): when dir is
   * missing but a backup {@code .<name>.old-*} exists, the newest backup is renamed back to dir.
   * Deletes nothing, so a reader calling it never disturbs a writer. Returns whether dir was
   * restored.
   */
  public static boolean recover(Path dir) throws IOException {
    Path target = dir.toAbsolutePath().normalize();
    Path parent = target.getParent();
    if (parent == null || !Files.isDirectory(parent)) return false;
    String name = target.getFileName().toString();
    List<Path> backups = siblings(parent, "." + name + ".old-");
    if (Files.exists(target) || backups.isEmpty()) return false;
    backups.sort(Comparator.comparing(AtomicDirectory::modified).reversed());
    try {
      Files.move(backups.getFirst(), target, StandardCopyOption.ATOMIC_MOVE);
    } catch (java.nio.file.FileAlreadyExistsException | java.nio.file.DirectoryNotEmptyException e) {
      return false; // a writer finished meanwhile
    }
    syncDir(parent);
    return true;
  }

  private static List<Path> siblings(Path parent, String prefix) throws IOException {
    List<Path> out = new ArrayList<>();
    try (DirectoryStream<Path> s = Files.newDirectoryStream(parent, p -> p.getFileName().toString().startsWith(prefix))) {
      for (Path p : s) out.add(p);
    }
    return out;
  }

  private static FileTime modified(Path p) {
    try {
      return Files.getLastModifiedTime(p);
    } catch (IOException e) {
      return FileTime.fromMillis(0);
    }
  }

  // ---- renameat2(RENAME_EXCHANGE) on Linux, through the FFM API ----

  private static final int AT_FDCWD = -100;
  private static final int RENAME_EXCHANGE = 2;
  private static final Native NATIVE = Native.load();

  private record Native(MethodHandle renameat2, StructLayout stateLayout, VarHandle errno) {
    static Native load() {
      try {
        if (!System.getProperty("os.name", "").toLowerCase(Locale.ROOT).contains("linux")) return null;
        Linker linker = Linker.nativeLinker();
        var sym = linker.defaultLookup().find("renameat2");
        if (sym.isEmpty()) return null;
        StructLayout layout = Linker.Option.captureStateLayout();
        MethodHandle h = linker.downcallHandle(sym.get(),
            FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_INT,
                ValueLayout.ADDRESS, ValueLayout.JAVA_INT),
            Linker.Option.captureCallState("errno"));
        VarHandle errno = layout.varHandle(MemoryLayout.PathElement.groupElement("errno"));
        return new Native(h, layout, errno);
      } catch (Throwable t) { // no native access, unknown platform: use the portable path
        return null;
      }
    }
  }

  /** Atomically exchanges a and b; false when the platform or file system cannot. */
  static boolean exchange(Path a, Path b) throws IOException {
    if (NATIVE == null) return false;
    int rc;
    int errno;
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment state = arena.allocate(NATIVE.stateLayout());
      rc = (int) NATIVE.renameat2().invokeExact(state, AT_FDCWD, arena.allocateFrom(a.toString()), AT_FDCWD,
          arena.allocateFrom(b.toString()), RENAME_EXCHANGE);
      errno = rc == 0 ? 0 : (int) NATIVE.errno().get(state, 0L);
    } catch (Throwable t) {
      return false;
    }
    if (rc == 0) return true;
    // EINVAL (22): flag unsupported by the file system; ENOSYS (38): old kernel; EOPNOTSUPP (95).
    if (errno == 22 || errno == 38 || errno == 95) return false;
    throw new IOException("cannot swap " + a + " into place at " + b + ": renameat2 failed with errno " + errno);
  }

  // ---- durability and cleanup ----

  /**
   * Temporary directories and files are created owner-only (0700/0600); the published checkpoint
   * gets the usual rwxr-xr-x / rw-r--r--, as mkdir and a plain file write under umask 022 would.
   */
  private static void publishPermissions(Path root) throws IOException {
    if (!root.getFileSystem().supportedFileAttributeViews().contains("posix")) return;
    Set<PosixFilePermission> dirs = PosixFilePermissions.fromString("rwxr-xr-x");
    Set<PosixFilePermission> files = PosixFilePermissions.fromString("rw-r--r--");
    Files.walkFileTree(root, new SimpleFileVisitor<>() {
      @Override
      public FileVisitResult preVisitDirectory(Path d, BasicFileAttributes attrs) throws IOException {
        Files.setPosixFilePermissions(d, dirs);
        return FileVisitResult.CONTINUE;
      }

      @Override
      public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
        if (attrs.isRegularFile()) Files.setPosixFilePermissions(file, files);
        return FileVisitResult.CONTINUE;
      }
    });
  }

  private static void syncTree(Path dir) throws IOException {
    Files.walkFileTree(dir, new SimpleFileVisitor<>() {
      @Override
      public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
        if (attrs.isRegularFile()) {
          try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            ch.force(true);
          }
        }
        return FileVisitResult.CONTINUE;
      }

      @Override
      public FileVisitResult postVisitDirectory(Path d, IOException e) throws IOException {
        if (e != null) throw e;
        syncDir(d);
        return FileVisitResult.CONTINUE;
      }
    });
  }

  /** fsync of a directory so renames in it are durable; a no-op where the platform cannot. */
  private static void syncDir(Path dir) {
    try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
      ch.force(true);
    } catch (IOException | UnsupportedOperationException e) {
      // Windows and some file systems cannot open or sync a directory; the renames are still atomic.
    }
  }

  static void deleteTree(Path root) throws IOException {
    if (!Files.exists(root, java.nio.file.LinkOption.NOFOLLOW_LINKS)) return;
    Files.walkFileTree(root, new SimpleFileVisitor<>() {
      @Override
      public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
        Files.deleteIfExists(file);
        return FileVisitResult.CONTINUE;
      }

      @Override
      public FileVisitResult postVisitDirectory(Path d, IOException e) throws IOException {
        if (e != null && !(e instanceof NoSuchFileException)) throw e;
        Files.deleteIfExists(d);
        return FileVisitResult.CONTINUE;
      }
    });
  }
}
