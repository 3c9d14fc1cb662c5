package lmlab.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.reflect.AnnotatedElement;
import java.util.ArrayList;
import java.util.IllegalFormatException;
import java.util.List;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Help;
import picocli.CommandLine.Model.ArgSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Model.UsageMessageSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * The usage help of every command, rendered at 80 columns. picocli wraps each description element
 * (each line of it, after {@code %n}) at the usage width, so prose has to be whole paragraphs, which
 * picocli breaks where the width says, and preformatted lines (JSON shapes, tables) short enough never
 * to wrap. A line broken by hand wider than the usage comes out as a long line and a short fragment,
 * mid-sentence; one broken narrower does the same in a narrower terminal.
 */
class HelpLayoutTest {
  static final int WIDTH = 80;
  /** The end of a sentence or of a paragraph that introduces what follows (a list, a JSON shape). */
  static final Pattern PARAGRAPH_END = Pattern.compile("[.!?:][\"')\\]]*$");

  @Test
  void noLineIsWiderThan80Columns() {
    List<String> wide = new ArrayList<>();
    for (CommandLine c : tree(Main.commandLine())) {
      for (String line : usage(c, WIDTH).lines().toList()) {
        if (line.codePointCount(0, line.length()) > WIDTH) wide.add(name(c) + ": " + line);
      }
    }
    assertThat(wide).isEmpty();
  }

  @Test
  void everyDescriptionIsParagraphsAndShortPreformattedLines() {
    List<CommandLine> all = tree(Main.commandLine());
    // Every command and subcommand: had the walk found only the root, the test would pass whatever
    // the subcommands' descriptions say.
    assertThat(all).hasSizeGreaterThan(40);
    List<String> problems = new ArrayList<>();
    int wrapped = 0;
    for (CommandLine c : all) {
      Check check = check(c);
      problems.addAll(check.problems());
      wrapped += check.wrapped();
    }
    // The descriptions are paragraphs that picocli wraps: a check that saw none wrap would not be
    // telling wrapped lines from whole ones.
    assertThat(wrapped).isGreaterThan(100);
    assertThat(problems).isEmpty();
  }

  @Test
  void theCheckFindsTheHandBrokenLinesOfTheOldBenchServeHelp() {
    Check old = check(new CommandLine(new HandBroken()));
    assertThat(old.problems()).anySatisfy(p -> assertThat(p)
        .contains("wraps mid-sentence at 80 columns: 'Measure continuous batching").endsWith("P streamed'"));
    assertThat(old.problems()).anySatisfy(p -> assertThat(p)
        .contains("an indented line wraps at 80 columns: ' \"single_tokens_per_s\""));
    assertThat(old.problems()).anySatisfy(p -> assertThat(p)
        .contains("serve --tokens: a line wraps mid-sentence").contains("'Tokens per stream, the"));
    assertThat(old.problems()).anySatisfy(p -> assertThat(p)
        .contains("serve --seed: a line is broken mid-sentence: 'The first stream's seed;"));
    Check fixed = check(new CommandLine(new Paragraphs()));
    assertThat(fixed.problems()).isEmpty();
    // The description's first paragraph, --tokens's and --seed's.
    assertThat(fixed.wrapped()).isEqualTo(3);
  }

  @Test
  void theParentsCommandListShowsAWholeSentenceOrParagraph() {
    // picocli lists a subcommand with its header's first element, else its description's.
    List<String> problems = new ArrayList<>();
    for (CommandLine c : tree(Main.commandLine())) {
      if (c.getParent() == null) continue;
      UsageMessageSpec u = c.getCommandSpec().usageMessage();
      String[] texts = u.header().length > 0 ? u.header() : u.description();
      if (texts.length == 0) {
        problems.add(name(c) + ": no description");
        continue;
      }
      String shown = lines(texts[0]).getLast().strip();
      if (!PARAGRAPH_END.matcher(shown).find() && lines(texts).stream().filter(l -> !l.isBlank()).count() > 1) {
        problems.add(name(c) + ": the parent's command list stops at '" + shown + "'");
      }
    }
    assertThat(problems).isEmpty();
  }

  @Test
  void everyDescriptionIsAFormatString() {
    // picocli formats descriptions (%n is a line break); a lone % makes it print a warning with the
    // help and show the text unformatted.
    List<String> problems = new ArrayList<>();
    for (CommandLine c : tree(Main.commandLine())) {
      UsageMessageSpec u = c.getCommandSpec().usageMessage();
      List<String> raw = new ArrayList<>(List.of(u.header()));
      raw.addAll(List.of(u.description()));
      raw.addAll(List.of(u.footer()));
      for (ArgSpec a : args(c)) {
        if (a.userObject() instanceof AnnotatedElement e) {
          Option o = e.getAnnotation(Option.class);
          Parameters p = e.getAnnotation(Parameters.class);
          raw.addAll(List.of(o != null ? o.description() : p != null ? p.description() : new String[0]));
        }
      }
      for (String r : raw) {
        try {
          String.format(r);
        } catch (IllegalFormatException ex) {
          problems.add(name(c) + ": '" + r + "': " + ex);
        }
      }
    }
    assertThat(problems).isEmpty();
  }

  /** What one command's help gets wrong, and how many of its lines picocli wrapped. */
  record Check(List<String> problems, int wrapped) {}

  /**
   * Renders the help at 80 columns and looks at each line of each description (each element, split
   * at {@code %n}). An indented line is preformatted (a JSON shape, a table row) and must not wrap:
   * it is the end of a rendered line. Any other line is prose, which picocli wraps at the usage width
   * (the terminal's, with usageHelpAutoWidth), so it must be a whole paragraph: end a sentence, or
   * introduce what follows with a colon, unless it is its text's last line. A line broken by hand
   * mid-sentence fails, whether or not it wraps at 80: at another width it would.
   */
  static Check check(CommandLine c) {
    List<String> rendered = usage(c, WIDTH).lines().map(String::stripTrailing).toList();
    List<String> problems = new ArrayList<>();
    int wrapped = 0;
    for (Text t : texts(c)) {
      List<String> lines = t.lines();
      int last = lines.size() - 1;
      while (last >= 0 && lines.get(last).isBlank()) last--;
      for (int i = 0; i <= last; i++) {
        String s = lines.get(i).stripTrailing();
        if (s.isBlank()) continue;
        boolean wraps = rendered.stream().noneMatch(r -> r.endsWith(s));
        if (wraps) wrapped++;
        if (Character.isWhitespace(s.charAt(0))) {
          if (wraps) problems.add(t.where() + ": an indented line wraps at " + WIDTH + " columns: '" + s + "'");
        } else if (i < last && !PARAGRAPH_END.matcher(s).find()) {
          problems.add(t.where() + (wraps ? ": a line wraps mid-sentence at " + WIDTH + " columns: '"
              : ": a line is broken mid-sentence: '") + s + "'");
        }
      }
    }
    return new Check(problems, wrapped);
  }

  /** One text of a command's help (its description, an option's) as the lines picocli prints. */
  record Text(String where, List<String> lines) {}

  static List<Text> texts(CommandLine c) {
    UsageMessageSpec u = c.getCommandSpec().usageMessage();
    List<Text> texts = new ArrayList<>();
    texts.add(new Text(name(c) + " header", lines(u.header())));
    texts.add(new Text(name(c) + " description", lines(u.description())));
    texts.add(new Text(name(c) + " footer", lines(u.footer())));
    for (ArgSpec a : args(c)) {
      // picocli has already formatted an option's description (%n, ${DEFAULT-VALUE}).
      List<String> lines = new ArrayList<>();
      for (String d : a.description()) lines.addAll(d.lines().toList());
      String arg = a instanceof OptionSpec o ? o.longestName() : a.paramLabel();
      texts.add(new Text(name(c) + " " + arg, lines));
    }
    return texts;
  }

  /** The options and positional parameters the help shows. */
  static List<ArgSpec> args(CommandLine c) {
    List<ArgSpec> args = new ArrayList<>(c.getCommandSpec().options());
    args.addAll(c.getCommandSpec().positionalParameters());
    args.removeIf(ArgSpec::hidden);
    return args;
  }

  /** Formats elements as picocli does for a command's texts: {@code %n} is a line break. */
  static List<String> lines(String... elements) {
    List<String> lines = new ArrayList<>();
    for (String e : elements) {
      String f;
      try {
        f = String.format(e);
      } catch (IllegalFormatException ex) {
        f = e;
      }
      lines.addAll(f.isEmpty() ? List.of("") : f.lines().toList());
    }
    return lines;
  }

  static String usage(CommandLine c, int width) {
    UsageMessageSpec u = c.getCommandSpec().usageMessage();
    u.autoWidth(false);
    u.width(width);
    return c.getUsageMessage(Help.Ansi.OFF);
  }

  static List<CommandLine> tree(CommandLine c) {
    List<CommandLine> all = new ArrayList<>();
    all.add(c);
    // getSubcommands() maps aliases too: take each command once.
    c.getSubcommands().values().stream().distinct().forEach(s -> all.addAll(tree(s)));
    return all;
  }

  static String name(CommandLine c) {
    return c.getCommandSpec().qualifiedName();
  }

  /**
   * The first lines of bench serve's help as they were, broken by hand at about 100 characters, and
   * two options broken the same way (one wider than its column, one narrower).
   */
  @Command(
      name = "serve",
      description = {
        "Measure continuous batching through a real lmlab serve on 127.0.0.1: --parallel P streamed",
        "requests of --tokens T one after another (one stream's speed), then the same P concurrently",
        "(seeds --seed .. --seed+P-1, temperature 1, no end-of-sequence: every stream takes T tokens).",
        "One JSON line: {\"bench\":\"serve\",\"model\":..,\"parallel\":P,\"tokens\":T,\"single_seconds\":..,",
        " \"single_tokens_per_s\":..,\"batch_seconds\":..,\"aggregate_tokens_per_s\":..,\"ratio\":..,",
        " \"equal_to_sequential\":true|false,\"threads\":..}"
      })
  static final class HandBroken implements Runnable {
    @Option(names = "--tokens", description = {"Tokens per stream, the same for every one of the P streams, sequential",
        "and concurrent, in every run."})
    int tokens;

    @Option(names = "--seed", description = {"The first stream's seed; stream i", "takes seed + i."})
    int seed;

    @Override
    public void run() {}
  }

  /** The same help as paragraphs and short preformatted lines. */
  @Command(
      name = "serve",
      description = {
        "Measure continuous batching through a real lmlab serve on 127.0.0.1: --parallel P streamed "
            + "requests of --tokens T one after another (one stream's speed), then the same P concurrently "
            + "(seeds --seed .. --seed+P-1, temperature 1, no end-of-sequence: every stream takes T tokens).",
        "One JSON line:",
        "  {\"bench\":\"serve\",\"model\":..,\"parallel\":P,\"tokens\":T,\"single_seconds\":..,",
        "   \"single_tokens_per_s\":..,\"batch_seconds\":..,\"aggregate_tokens_per_s\":..,",
        "   \"ratio\":..,\"equal_to_sequential\":true|false,\"threads\":..}"
      })
  static final class Paragraphs implements Runnable {
    @Option(names = "--tokens", description = "Tokens per stream, the same for every one of the P streams, "
        + "sequential and concurrent, in every run.")
    int tokens;

    @Option(names = "--seed", description = "The first stream's seed; stream i takes seed + i, the same seeds "
        + "in every run.")
    int seed;

    @Override
    public void run() {}
  }
}
