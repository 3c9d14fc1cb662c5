package lmlab.prompting;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.BufferedWriter;
import java.io.Closeable;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;

/**
 * A prompting run directory: {@code config.json}, {@code requests.jsonl} (one record appended and
 * flushed per request, so an interrupted run keeps everything collected) and the reports, each
 * written through a temporary sibling and an atomic rename.
 */
public final class RunFiles implements Closeable {
  public static final String CONFIG = "config.json";
  public static final String REQUESTS = "requests.jsonl";
  static final ObjectMapper JSON = new ObjectMapper();
  /** Records and reports use snake_case keys, as prompting.md and the fixtures do. */
  static final ObjectMapper RECORDS =
      new ObjectMapper().setPropertyNamingStrategy(com.fasterxml.jackson.databind.PropertyNamingStrategies.SNAKE_CASE);
  static final ObjectMapper PRETTY = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  private final Path dir;
  private BufferedWriter requests;

  public RunFiles(Path dir) throws IOException {
    this.dir = dir;
    Files.createDirectories(dir);
  }

  public Path dir() {
    return dir;
  }

  public void writeConfig(JsonNode config) throws IOException {
    writeAtomically(dir.resolve(CONFIG), PRETTY.writeValueAsString(config) + "\n");
  }

  /** Appends one request record and flushes it to disk. */
  public synchronized void append(JsonNode record) throws IOException {
    if (requests == null)
      requests = Files.newBufferedWriter(dir.resolve(REQUESTS), StandardCharsets.UTF_8, StandardOpenOption.CREATE,
          StandardOpenOption.APPEND);
    requests.write(JSON.writeValueAsString(record));
    requests.write('\n');
    requests.flush();
  }

  /** The records so far (a half-written last line, from a killed run, is left out). */
  public static List<JsonNode> readRecords(Path dir) throws IOException {
    Path f = dir.resolve(REQUESTS);
    List<JsonNode> out = new ArrayList<>();
    if (!Files.exists(f)) return out;
    for (String line : Files.readAllLines(f, StandardCharsets.UTF_8)) {
      if (line.isBlank()) continue;
      try {
        out.add(JSON.readTree(line));
      } catch (IOException e) {
        // an interrupted append: the request has no record and is rerun by --resume
      }
    }
    return out;
  }

  public static JsonNode readConfig(Path dir) throws IOException {
    Path f = dir.resolve(CONFIG);
    if (!Files.exists(f)) throw new IllegalArgumentException(dir + " is not a prompting run: " + f + " is missing");
    return JSON.readTree(f.toFile());
  }

  public static void writeAtomically(Path file, String text) throws IOException {
    Path tmp = file.resolveSibling("." + file.getFileName() + ".tmp");
    Files.writeString(tmp, text, StandardCharsets.UTF_8);
    Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
  }

  @Override
  public synchronized void close() throws IOException {
    if (requests != null) requests.close();
  }
}
