package io.pequod.views.spec;

import java.util.ArrayList;
import java.util.List;

/**
 * Splits a spec into words, '=', ';', line ends and quoted texts ({@code 'orders'}, on one line);
 * '#' starts a comment; '<...>' keeps its content in one word.
 */
final class SpecLexer {
    enum Kind { WORD, QUOTED, EQUALS, SEMICOLON, NEWLINE, BLANK_LINE, EOF }

    /** A token; a quoted text's {@code text} is what is between the quotes, its position that of the opening quote. */
    record Token(Kind kind, String text, SourcePosition position) {
    }

    private final String file;
    private final String s;
    private int i;
    private int line = 1;
    private int lineStart;

    SpecLexer(String file, String s) {
        this.file = file;
        this.s = s;
    }

    List<Token> tokens() {
        List<Token> out = new ArrayList<>();
        int newlines = 0;
        SourcePosition nlAt = null;
        while (i < s.length()) {
            char c = s.charAt(i);
            if (c == '\n') {
                if (newlines++ == 0) {
                    nlAt = here();
                }
                i++;
                line++;
                lineStart = i;
                continue;
            }
            if (c == ' ' || c == '\t' || c == '\r' || c == ',' || c == '\f') {
                i++;
                continue;
            }
            if (c == '#') {
                while (i < s.length() && s.charAt(i) != '\n') {
                    i++;
                }
                continue;
            }
            if (newlines > 0 && !out.isEmpty()) {
                out.add(new Token(newlines > 1 ? Kind.BLANK_LINE : Kind.NEWLINE, "\n", nlAt));
            }
            newlines = 0;
            SourcePosition p = here();
            if (c == '=') {
                out.add(new Token(Kind.EQUALS, "=", p));
                i++;
            } else if (c == ';') {
                out.add(new Token(Kind.SEMICOLON, ";", p));
                i++;
            } else if (c == '\'') {
                out.add(new Token(Kind.QUOTED, quoted(p), p));
            } else {
                out.add(new Token(Kind.WORD, word(p), p));
            }
        }
        out.add(new Token(Kind.EOF, "", here()));
        return out;
    }

    private String quoted(SourcePosition start) {
        int b = ++i;
        while (i < s.length() && s.charAt(i) != '\'' && s.charAt(i) != '\n') {
            i++;
        }
        if (i >= s.length() || s.charAt(i) != '\'') {
            throw new JoinSpecException(start, "unclosed quote in '" + s.substring(b - 1, i) + "'; a quoted text ends on its line");
        }
        return s.substring(b, i++);
    }

    private String word(SourcePosition start) {
        int b = i;
        int depth = 0;
        while (i < s.length()) {
            char c = s.charAt(i);
            if (c == '<') {
                depth++;
            } else if (c == '>') {
                depth = Math.max(0, depth - 1);
            } else if (c == '\n') {
                break;
            } else if (depth == 0 && (c == ' ' || c == '\t' || c == '\r' || c == ',' || c == ';' || c == '='
                    || c == '#' || c == '\f' || c == '\'')) {
                break;
            }
            i++;
        }
        if (depth > 0) {
            throw new JoinSpecException(start, "unclosed '<' in '" + s.substring(b, i) + "'; slots are written <name> or <name:width>");
        }
        return s.substring(b, i);
    }

    private SourcePosition here() {
        return new SourcePosition(file, line, i - lineStart + 1);
    }
}
