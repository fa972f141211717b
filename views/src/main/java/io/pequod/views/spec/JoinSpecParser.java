package io.pequod.views.spec;

import io.pequod.ingest.source.RowTemplate;
import io.pequod.ingest.source.SourceFormat;
import io.pequod.ingest.source.TemplateException;
import io.pequod.schemas.Key;
import io.pequod.views.spec.SpecLexer.Kind;
import io.pequod.views.spec.SpecLexer.Token;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;
import java.util.regex.Matcher;



/**
 * Parses Pequod's join language (DESIGN.md section 2) into a checked {@link JoinSpec}.
 *
 * <pre>
 * SINK = item item ...     items separated by whitespace or commas
 * item := OP PATTERN | using [filter] PATTERN | filter PATTERN | PATTERN | pull | push | partial | and
 *       | (where | with) SLOTDEF, SLOTDEF ...        SLOTDEF := name[:]width[type letters]
 * table NAME partitions N
 * </pre>
 *
 * A statement ends at {@code ;}, at a blank line, or at a line that starts another statement
 * ({@code X = ...} or {@code table ...}); {@code #} starts a comment. Every failure is a
 * {@link JoinSpecException} naming file, line, column and the offending token; no other exception
 * escapes, whatever the input.
 */
public final class JoinSpecParser {
    /** Most sources in one join, as in Pequod. */
    public static final int MAX_SOURCES = 4;
    private static final Set<String> OPERATORS = Set.of("copy", "count", "sum", "min", "max");
    private static final Set<String> KEYWORDS = Set.of("copy", "count", "sum", "min", "max", "using", "filter", "pull", "partial",
            "push", "and", "where", "with");

    private final String file;
    private final List<Token> tokens;
    private int pos;
    private int anonymous;

    private JoinSpecParser(String file, String text) {
        this.file = file;
        this.tokens = new SpecLexer(file, text).tokens();
    }

    /**
     * @param file a join spec file (cannot be {@code null})
     * @return the checked spec
     * @throws JoinSpecException if the spec is invalid
     * @throws IOException       if the file cannot be read
     */
    public static JoinSpec parse(Path file) throws IOException {
        return parse(file.getFileName().toString(), Files.readString(file, StandardCharsets.UTF_8));
    }

    /**
     * @param file the file name for messages (cannot be {@code null})
     * @param text the spec text (cannot be {@code null})
     * @return the checked spec
     * @throws JoinSpecException if the spec is invalid
     */
    public static JoinSpec parse(String file, String text) {
        try {
            JoinSpecParser p = new JoinSpecParser(file, text);
            JoinSpec spec = p.parseAll();
            SpecChecker.check(spec, new SourcePosition(file, 1, 1));
            return spec;
        } catch (JoinSpecException e) {
            throw e;
        } catch (RuntimeException e) {
            throw new JoinSpecException(new SourcePosition(file, 1, 1), "internal parser error: " + e);
        }
    }

    private JoinSpec parseAll() {
        List<Join> joins = new ArrayList<>();
        List<TableDeclaration> tables = new ArrayList<>();
        List<SourceDeclaration> sources = new ArrayList<>();
        while (true) {
            skipSeparators();
            if (peek().kind() == Kind.EOF) {
                break;
            }
            Token first = peek();
            if (first.kind() == Kind.WORD && first.text().equals("table") && peekAt(1).kind() != Kind.EQUALS) {
                tables.add(parseTableDeclaration());
            } else if (first.kind() == Kind.WORD && first.text().equals("source") && peekAt(1).kind() != Kind.EQUALS) {
                sources.add(parseSource());
            } else {
                joins.add(parseJoin());
            }
        }
        return new JoinSpec(joins, tables, sources);
    }

    private TableDeclaration parseTableDeclaration() {
        Token kw = next();
        Token name = next();
        if (name.kind() != Kind.WORD || !Key.TABLE_NAME.matcher(name.text()).matches()) {
            throw error(name, "expected a table name after 'table', found " + describe(name)
                    + "; write: table NAME partitions N");
        }
        Token p = next();
        if (p.kind() != Kind.WORD || !p.text().equals("partitions")) {
            throw error(p, "expected 'partitions' after 'table " + name.text() + "', found " + describe(p)
                    + "; write: table NAME partitions N");
        }
        Token n = next();
        int count;
        try {
            count = Integer.parseInt(n.text());
        } catch (NumberFormatException e) {
            count = -1;
        }
        if (n.kind() != Kind.WORD || count < 1 || count > 10_000) {
            throw error(n, "expected a partition count from 1 to 10000, found " + describe(n));
        }
        endStatement("table declaration");
        return new TableDeclaration(name.text(), count, kw.position());
    }

    private SourceDeclaration parseSource() {
        Token kw = next();
        Token table = next();
        String usage = "; write: source TABLE from topic 'NAME' format " + SourceFormat.choices()
                + " key 'TABLE|{field}' value '{field}' [start earliest|latest]";
        if (table.kind() != Kind.WORD || !Key.TABLE_NAME.matcher(table.text()).matches()) {
            throw error(table, "expected a table name after 'source', found " + describe(table) + usage);
        }
        expectWord("from", usage);
        expectWord("topic", usage);
        Token topic = expectQuoted("topic name", usage);
        if (!TOPIC_NAME.matcher(topic.text()).matches()) {
            throw error(topic, "topic name '" + topic.text() + "' is not a Kafka topic name (1 to 249 of [a-zA-Z0-9._-])");
        }
        expectWord("format", usage);
        Token f = next();
        SourceFormat format = f.kind() == Kind.WORD ? SourceFormat.named(f.text()).orElse(null) : null;
        if (format == null) {
            throw error(f, "unknown format " + describe(f) + "; formats are " + SourceFormat.choices());
        }
        expectWord("key", usage);
        Token keyTok = expectQuoted("key template", usage);
        RowTemplate key = template(keyTok);
        if (!key.literalPrefix().startsWith(table.text() + "|")) {
            throw error(keyTok, "key template '" + keyTok.text() + "' must start with the table name and a '|': '"
                    + table.text() + "|...'");
        }
        expectWord("value", usage);
        RowTemplate value = template(expectQuoted("value template", usage));
        boolean latest = false;
        String start = "";
        if (peek().kind() == Kind.WORD && peek().text().equals("start")) {
            next();
            Token s = next();
            if (s.kind() != Kind.WORD || !(s.text().equals("earliest") || s.text().equals("latest"))) {
                throw error(s, "expected earliest or latest after 'start', found " + describe(s));
            }
            latest = s.text().equals("latest");
            start = " start " + s.text();
        }
        endStatement("source declaration");
        String text = "source " + table.text() + " from topic '" + topic.text() + "' format " + format.written() + " key '"
                + key.text() + "' value '" + value.text() + "'" + start;
        return new SourceDeclaration(table.text(), topic.text(), format, key, value, latest, text, kw.position());
    }

    private void expectWord(String word, String usage) {
        Token t = next();
        if (t.kind() != Kind.WORD || !t.text().equals(word)) {
            throw error(t, "expected '" + word + "', found " + describe(t) + usage);
        }
    }

    private Token expectQuoted(String what, String usage) {
        Token t = next();
        if (t.kind() != Kind.QUOTED) {
            throw error(t, "expected the " + what + " in single quotes, found " + describe(t) + usage);
        }
        return t;
    }

    private static RowTemplate template(Token t) {
        try {
            return RowTemplate.parse(t.text());
        } catch (TemplateException e) {
            SourcePosition p = t.position();
            throw new JoinSpecException(new SourcePosition(p.file(), p.line(), p.column() + 1 + e.offset()), e.getMessage());
        }
    }

    private Join parseJoin() {
        Token sinkTok = next();
        if (sinkTok.kind() != Kind.WORD) {
            throw error(sinkTok, "expected a sink pattern such as t|<user>|<time>, found " + describe(sinkTok));
        }
        Token eq = next();
        if (eq.kind() != Kind.EQUALS) {
            if (sinkTok.text().indexOf('|') < 0 && !KEYWORDS.contains(sinkTok.text())) {
                throw error(sinkTok, "unknown keyword '" + sinkTok.text() + "'; a statement is SINK = items or table NAME partitions N");
            }
            throw error(eq, "expected '=' after sink " + sinkTok.text() + ", found " + describe(eq));
        }
        List<RawSource> raws = new ArrayList<>();
        Map<String, Integer> widths = new LinkedHashMap<>();
        Map<String, SourcePosition> widthAt = new HashMap<>();
        Token op = null;
        boolean pull = false;
        boolean push = false;
        boolean partial = false;
        StringBuilder text = new StringBuilder(sinkTok.text()).append(" =");
        while (!atStatementEnd()) {
            Token t = next();
            text.append(' ').append(t.text());
            if (t.kind() != Kind.WORD) {
                throw error(t, "unexpected " + describe(t) + " in a join");
            }
            String w = t.text().toLowerCase(Locale.ROOT);
            if (t.text().indexOf('|') >= 0) {
                raws.add(new RawSource(t, Source.Role.USING, false));
            } else if (OPERATORS.contains(w)) {
                if (op != null) {
                    throw error(t, "second operator '" + w + "' in one join (already '" + op.text().toLowerCase(Locale.ROOT)
                            + "' at " + op.position() + "); a join has at most one of copy, count, sum, min, max");
                }
                op = t;
                raws.add(new RawSource(expectPattern(t, text), Source.Role.VALUE, false));
            } else if (w.equals("using") || w.equals("filter")) {
                boolean filter = w.equals("filter");
                if (!filter && peek().kind() == Kind.WORD && peek().text().equalsIgnoreCase("filter")) {
                    text.append(' ').append(next().text());
                    filter = true;
                }
                raws.add(new RawSource(expectPattern(t, text), filter ? Source.Role.FILTER : Source.Role.USING, true));
            } else if (w.equals("pull")) {
                pull = true;
            } else if (w.equals("push")) {
                push = true;
            } else if (w.equals("partial")) {
                partial = true;
            } else if (w.equals("and")) {
                continue;
            } else if (w.equals("where") || w.equals("with")) {
                parseSlotDefs(t, widths, widthAt, text);
            } else {
                throw error(t, "unknown keyword '" + t.text() + "'; allowed: a pattern with '|', copy, count, sum, min, max, "
                        + "using, filter, pull, push, partial, and, where, with");
            }
        }
        endStatement("join");
        if (pull && push) {
            throw error(sinkTok, "join is marked both pull and push; choose one");
        }
        if (pull && partial) {
            throw error(sinkTok, "join is marked both pull and partial; a pull join is computed at every read, a partial one"
                    + " materialized at the first read of a range; choose one");
        }
        if (raws.isEmpty()) {
            throw error(sinkTok, "join for " + sinkTok.text() + " has no source; write e.g. " + sinkTok.text()
                    + " = copy p|<poster>|<time>");
        }
        if (op == null) {
            // No operator: copy from the last pattern that is not explicitly a context source.
            int last = -1;
            for (int i = raws.size() - 1; i >= 0 && last < 0; i--) {
                if (!raws.get(i).explicit) {
                    last = i;
                }
            }
            if (last < 0) {
                throw error(sinkTok, "join for " + sinkTok.text() + " has no value source: every pattern follows using or filter;"
                        + " add an operator, e.g. copy PATTERN");
            }
            raws.set(last, new RawSource(raws.get(last).token, Source.Role.VALUE, false));
        }
        if (raws.size() > MAX_SOURCES) {
            throw error(raws.get(MAX_SOURCES).token, "join has " + raws.size() + " sources; at most " + MAX_SOURCES + " are allowed");
        }
        // First pass: collect inline widths (<poster:5>) from every pattern, so that a slot written
        // without a width anywhere in the join takes the width given elsewhere.
        int[] scratch = {0};
        Supplier<String> throwaway = () -> "\0" + (scratch[0]++);
        PatternParser.parse(sinkTok, widths, widthAt, throwaway);
        raws.forEach(r -> PatternParser.parse(r.token, widths, widthAt, throwaway));
        Pattern sink = PatternParser.parse(sinkTok, widths, widthAt, this::nextAnonymous);
        List<Source> sources = new ArrayList<>();
        for (RawSource r : raws) {
            sources.add(new Source(PatternParser.parse(r.token, widths, widthAt, this::nextAnonymous), r.role));
        }
        Operator operator = op == null ? Operator.COPY : Operator.valueOf(op.text().toUpperCase(Locale.ROOT));
        Join j = new Join(sink, operator, sources, pull, text.toString(), sinkTok.position(), partial);
        SpecChecker.checkJoin(j);
        return j;
    }

    private String nextAnonymous() {
        return "_" + (++anonymous);
    }

    private Token expectPattern(Token keyword, StringBuilder text) {
        Token p = peek();
        if (p.kind() != Kind.WORD || p.text().indexOf('|') < 0) {
            throw error(p, "expected a pattern such as p|<poster>|<time> after '" + keyword.text() + "', found " + describe(p)
                    + (p.kind() == Kind.WORD && !KEYWORDS.contains(p.text().toLowerCase(Locale.ROOT))
                    ? " (a pattern needs a table: TABLE|...)" : ""));
        }
        text.append(' ').append(p.text());
        return next();
    }

    private void parseSlotDefs(Token kw, Map<String, Integer> widths, Map<String, SourcePosition> widthAt, StringBuilder text) {
        int count = 0;
        while (!atStatementEnd() && peek().kind() == Kind.WORD && peek().text().indexOf('|') < 0
                && !KEYWORDS.contains(peek().text().toLowerCase(Locale.ROOT))) {
            Token d = next();
            text.append(' ').append(d.text());
            Matcher m = SLOTDEF.matcher(d.text());
            if (!m.matches()) {
                throw error(d, "invalid slot definition '" + d.text() + "'; write name:width, e.g. user:8");
            }
            int width;
            try {
                width = Integer.parseInt(m.group(2));
            } catch (NumberFormatException e) {
                width = 0;
            }
            if (width < 1 || width > Key.MAX_LENGTH) {
                throw error(d, "slot " + m.group(1) + " has width " + m.group(2) + "; widths are 1 to " + Key.MAX_LENGTH);
            }
            Integer prior = widths.put(m.group(1), width);
            if (prior != null && prior != width) {
                throw error(d, "slot " + m.group(1) + " has inconsistent lengths: " + prior + " at " + widthAt.get(m.group(1))
                        + " and " + width + " here");
            }
            widthAt.putIfAbsent(m.group(1), d.position());
            count++;
        }
        if (count == 0) {
            throw error(peek(), "expected slot definitions such as user:8 after '" + kw.text() + "', found " + describe(peek()));
        }
    }

    private static final java.util.regex.Pattern TOPIC_NAME = java.util.regex.Pattern.compile("[a-zA-Z0-9._-]{1,249}");
    private static final java.util.regex.Pattern SLOTDEF =
            java.util.regex.Pattern.compile("([A-Za-z_][A-Za-z0-9_]*):?([0-9]{1,9})[a-zA-Z]*");

    private boolean atStatementEnd() {
        Token t = peek();
        if (t.kind() == Kind.EOF || t.kind() == Kind.SEMICOLON || t.kind() == Kind.BLANK_LINE) {
            return true;
        }
        if (t.kind() == Kind.NEWLINE) {
            Token a = peekAt(1);
            Token b = peekAt(2);
            boolean startsStatement = a.kind() == Kind.WORD && (b.kind() == Kind.EQUALS
                    || (a.text().equals("table") || a.text().equals("source")) && b.kind() == Kind.WORD && b.text().indexOf('|') < 0);
            if (startsStatement || a.kind() == Kind.EOF) {
                return true;
            }
            pos++;
            return atStatementEnd();
        }
        return false;
    }

    private void endStatement(String what) {
        if (!atStatementEnd()) {
            throw error(peek(), "unexpected " + describe(peek()) + " after the " + what);
        }
    }

    private void skipSeparators() {
        while (peek().kind() == Kind.SEMICOLON || peek().kind() == Kind.NEWLINE || peek().kind() == Kind.BLANK_LINE) {
            pos++;
        }
    }

    private Token peek() {
        return peekAt(0);
    }

    private Token peekAt(int k) {
        return tokens.get(Math.min(pos + k, tokens.size() - 1));
    }

    private Token next() {
        Token t = peek();
        if (pos < tokens.size() - 1) {
            pos++;
        }
        return t;
    }

    private static String describe(Token t) {
        return switch (t.kind()) {
            case EOF -> "end of file";
            case NEWLINE, BLANK_LINE -> "end of line";
            case SEMICOLON -> "';'";
            case EQUALS -> "'='";
            case WORD -> "'" + t.text() + "'";
            case QUOTED -> "quoted '" + t.text() + "'";
        };
    }

    private JoinSpecException error(Token t, String message) {
        return new JoinSpecException(t.position(), message);
    }

    private record RawSource(Token token, Source.Role role, boolean explicit) {
    }
}
