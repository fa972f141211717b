package io.pequod.views.spec;

import io.pequod.schemas.Key;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import java.util.regex.Matcher;

/** Parses one pattern token: literal text and {@code <name>}, {@code <name:width>}, {@code <:width>} slots. */
final class PatternParser {
    private static final java.util.regex.Pattern SLOT =
            java.util.regex.Pattern.compile("([A-Za-z_][A-Za-z0-9_]*)?(?::([0-9]{1,9}))?");

    private PatternParser() {
    }

    static Pattern parse(SpecLexer.Token t, Map<String, Integer> widths, Map<String, SourcePosition> widthAt,
                         Supplier<String> anonymous) {
        String s = t.text();
        SourcePosition at = t.position();
        int bar = s.indexOf('|');
        int lt = s.indexOf('<');
        if (bar < 0) {
            throw new JoinSpecException(at, "pattern '" + s + "' has no table; write TABLE|..., e.g. p|<poster>|<time>");
        }
        if (lt >= 0 && lt < bar) {
            throw new JoinSpecException(col(at, lt), "pattern '" + s + "' has a slot in its table name; the table is the literal "
                    + "text before the first '|'");
        }
        String table = s.substring(0, bar);
        if (!Key.TABLE_NAME.matcher(table).matches()) {
            throw new JoinSpecException(at, "pattern '" + s + "' has table name '" + table
                    + "'; table names are 1 to 100 of [A-Za-z0-9_-]");
        }
        List<Pattern.Element> elements = new ArrayList<>();
        StringBuilder lit = new StringBuilder();
        int i = 0;
        while (i < s.length()) {
            char c = s.charAt(i);
            if (c == '>') {
                throw new JoinSpecException(col(at, i), "unexpected '>' in pattern '" + s + "'");
            }
            if (c != '<') {
                lit.append(c);
                i++;
                continue;
            }
            int end = s.indexOf('>', i);
            String body = s.substring(i + 1, end);
            Matcher m = SLOT.matcher(body);
            if (!m.matches() || m.group(1) == null && m.group(2) == null) {
                throw new JoinSpecException(col(at, i), "invalid slot <" + body + "> in pattern '" + s
                        + "'; write <name>, <name:width> or <:width>");
            }
            String name = m.group(1) != null ? m.group(1) : anonymous.get();
            int width = Pattern.Slot.VARIABLE;
            if (m.group(2) != null) {
                width = Integer.parseInt(m.group(2));
                if (width < 1 || width > Key.MAX_LENGTH) {
                    throw new JoinSpecException(col(at, i), "slot <" + body + "> has width " + width + "; widths are 1 to "
                            + Key.MAX_LENGTH);
                }
                Integer prior = widths.get(name);
                if (prior != null && prior != width) {
                    throw new JoinSpecException(col(at, i), "slot " + name + " has inconsistent lengths: " + prior + " at "
                            + widthAt.get(name) + " and " + width + " here");
                }
                if (prior == null) {
                    widths.put(name, width);
                    widthAt.put(name, col(at, i));
                }
            } else if (widths.containsKey(name)) {
                width = widths.get(name);
            }
            if (lit.length() > 0) {
                elements.add(new Pattern.Literal(lit.toString()));
                lit.setLength(0);
            }
            elements.add(new Pattern.Slot(name, width));
            i = end + 1;
        }
        if (lit.length() > 0) {
            elements.add(new Pattern.Literal(lit.toString()));
        }
        // Widths may be defined by a later where-clause or a later pattern: resolved by SpecChecker.
        return new Pattern(table, elements, s, at);
    }

    static SourcePosition col(SourcePosition p, int offset) {
        return new SourcePosition(p.file(), p.line(), p.column() + offset);
    }
}
