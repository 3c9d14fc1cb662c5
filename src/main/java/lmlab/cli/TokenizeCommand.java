package lmlab.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import lmlab.tokenize.Tokenizer;
import lmlab.tokenize.TokenizerFiles;
import lmlab.tokenize.Utf8Decoder;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code lmlab tokenize}: a text's token ids and pieces, or (--decode) the text of ids. */
@Command(
    name = "tokenize",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    description = {
      "Encode TEXT (or standard input, any bytes, with '-') with the tokenizer of a model or tokenizer "
          + "directory and print its tokens: one 'id<TAB>piece' line each (text), or (--format json):",
      "  {\"tokenizer\":..,\"count\":..,\"ids\":[..],\"pieces\":[..]}",
      "Pieces are the vocabulary's strings (byte-level symbols: 'Ġworld' is ' world').",
      "Special tokens written in the text (<|im_end|>) are matched unless --special-tokens text.",
      "With --decode the arguments are ids and the decoded text is printed.",
      "The tokenizer used goes to stderr. Exit 1 when the directory holds no usable tokenizer (the message "
          + "names the file and entry), 2 for usage errors.",
      ""
    })
public final class TokenizeCommand implements Runnable {
  /** Where '-' reads from (tests replace it). */
  static java.util.function.Supplier<InputStream> stdin = () -> System.in;

  private static final ObjectMapper JSON = new ObjectMapper();

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Option(names = {"--model", "--tokenizer"}, required = true, paramLabel = "DIR",
      description = "A directory with tokenizer.json, vocab.json + merges.txt, or a character vocab.json "
          + "(a Hugging Face model directory, a checkpoint, a tokenizer folder).")
  Path model;

  @Option(names = "--format", paramLabel = "FORMAT", defaultValue = "text",
      description = "text (one 'id<TAB>piece' line per token) or json (one line). Default: ${DEFAULT-VALUE}")
  String format;

  @Option(names = "--json", description = "Same as --format json.")
  boolean json;

  @Option(names = "--special-tokens", paramLabel = "MODE", defaultValue = "match",
      description = "match: special tokens in the text become their ids; text: encode them as text. "
          + "Default: ${DEFAULT-VALUE}")
  String specialTokens;

  @Option(names = "--add-special-tokens",
      description = "Add the tokenizer's BOS/EOS around the text (its post-processor; nothing for GPT-2 and Qwen).")
  boolean addSpecialTokens;

  @Option(names = "--decode", description = "Treat the arguments as token ids and print their text.")
  boolean decode;

  @Option(names = "--skip-special", description = "With --decode: drop special tokens.")
  boolean skipSpecial;

  @Parameters(paramLabel = "TEXT", arity = "1..*",
      description = "The text ('-' reads standard input), or the ids with --decode.")
  List<String> args;

  @Override
  public void run() {
    CommandLine cl = spec.commandLine();
    if (json) format = "json";
    if (!format.equals("text") && !format.equals("json")) {
      throw new CommandLine.ParameterException(cl, "--format must be text or json, got '" + format + "'");
    }
    if (!specialTokens.equals("match") && !specialTokens.equals("text")) {
      throw new CommandLine.ParameterException(cl, "--special-tokens must be match or text, got '" + specialTokens + "'");
    }
    if (skipSpecial && !decode) throw new CommandLine.ParameterException(cl, "--skip-special needs --decode");
    int[] ids = decode ? parseIds(cl) : null;
    if (!decode && args.size() != 1) {
      throw new CommandLine.ParameterException(cl, "expected one TEXT argument (quote it) or '-', got " + args.size());
    }
    Tokenizer tokenizer = TokenizerFiles.load(model);
    cl.getErr().println("tokenizer: " + tokenizer.describe());
    cl.getErr().flush();
    PrintWriter out = cl.getOut();
    if (decode) {
      String text = tokenizer.decode(ids, skipSpecial);
      if (format.equals("json")) printJson(out, Map.of("text", text));
      else out.println(text);
      out.flush();
      return;
    }
    String text = args.get(0).equals("-") ? readStdin() : args.get(0);
    int[] encoded = tokenizer.encode(text, addSpecialTokens, specialTokens.equals("text"));
    List<String> pieces = new ArrayList<>();
    for (int id : encoded) pieces.add(tokenizer.pieceOrThrow(id));
    if (format.equals("json")) {
      Map<String, Object> row = new LinkedHashMap<>();
      row.put("tokenizer", model.toString());
      row.put("count", encoded.length);
      row.put("ids", encoded);
      row.put("pieces", pieces);
      printJson(out, row);
    } else {
      for (int i = 0; i < encoded.length; i++) out.println(encoded[i] + "\t" + printable(pieces.get(i)));
    }
    out.flush();
  }

  private int[] parseIds(CommandLine cl) {
    List<Integer> ids = new ArrayList<>();
    for (String a : args) {
      for (String part : a.split("[,\\s]+")) {
        if (part.isEmpty()) continue;
        try {
          ids.add(Integer.parseInt(part));
        } catch (NumberFormatException e) {
          throw new CommandLine.ParameterException(cl, "--decode expects integer token ids, got '" + part + "'");
        }
      }
    }
    return ids.stream().mapToInt(Integer::intValue).toArray();
  }

  /** Standard input as UTF-8; invalid bytes become U+FFFD (one per maximal invalid subpart). */
  private static String readStdin() {
    try {
      byte[] bytes = stdin.get().readAllBytes();
      return Utf8Decoder.decodeLossy(bytes, bytes.length);
    } catch (IOException e) {
      throw new IllegalStateException("cannot read standard input: " + e.getMessage(), e);
    }
  }

  /** Control characters (a character vocabulary's '\n') shown escaped, so each token stays on its line. */
  private static String printable(String piece) {
    StringBuilder b = new StringBuilder();
    piece.codePoints().forEach(c -> {
      if (c == '\n') b.append("\\n");
      else if (c == '\t') b.append("\\t");
      else if (c == '\r') b.append("\\r");
      else if (Character.isISOControl(c)) b.append(String.format("\\u%04x", c));
      else b.appendCodePoint(c);
    });
    return b.toString();
  }

  private static void printJson(PrintWriter out, Map<String, Object> row) {
    try {
      out.println(JSON.writeValueAsString(row));
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }
}
