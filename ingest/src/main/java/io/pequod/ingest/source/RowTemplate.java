package io.pequod.ingest.source;

import com.fasterxml.jackson.databind.JsonNode;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A key or value template of a source declaration: literal text with {@code {field}} parts that
 * take a field of the row ({@code {a.b}} nested), {@code {key}} the record key as text,
 * {@code {key.field}} a field of the record key, {@code {value}} the record value as text (format
 * {@code string}), {@code {*}} the whole row as JSON. A part may carry a width: {@code {id:08}}
 * zero-pads an integer to 8 digits, {@code {name:8}} cuts or pads (with spaces) text to 8 bytes.
 * {@code {{} and {@code }}} are literal braces.
 */
public final class RowTemplate {
    private static final String NAME = "[A-Za-z_$][A-Za-z0-9_$-]*";
    private static final Pattern PART = Pattern.compile("(\\*|" + NAME + "(\\." + NAME + ")*)(:(0?)([0-9]{1,4}))?");

    private final String text;
    private final List<Part> parts;

    private RowTemplate(String text, List<Part> parts) {
        this.text = text;
        this.parts = List.copyOf(parts);
    }

    /**
     * @param text the template (cannot be {@code null})
     * @return the parsed template
     * @throws TemplateException naming the offset of the problem in {@code text}
     */
    public static RowTemplate parse(String text) {
        List<Part> parts = new ArrayList<>();
        StringBuilder literal = new StringBuilder();
        int i = 0;
        while (i < text.length()) {
            char c = text.charAt(i);
            if ((c == '{' || c == '}') && i + 1 < text.length() && text.charAt(i + 1) == c) {
                literal.append(c);
                i += 2;
            } else if (c == '}') {
                throw new TemplateException(i, "'}' without '{'; write '}}' for a literal brace");
            } else if (c == '{') {
                int end = text.indexOf('}', i);
                if (end < 0) {
                    throw new TemplateException(i, "unclosed '{'; write {field}, {key.field}, {*} or '{{' for a literal brace");
                }
                if (!literal.isEmpty()) {
                    parts.add(new Literal(literal.toString()));
                    literal.setLength(0);
                }
                parts.add(field(text.substring(i + 1, end), i));
                i = end + 1;
            } else {
                literal.append(c);
                i++;
            }
        }
        if (!literal.isEmpty()) {
            parts.add(new Literal(literal.toString()));
        }
        return new RowTemplate(text, parts);
    }

    private static Part field(String inside, int at) {
        Matcher m = PART.matcher(inside);
        if (!m.matches()) {
            throw new TemplateException(at, "'{" + inside + "}' is not a field; write {field}, {a.b}, {key.field}, {field:08} "
                    + "(an integer zero-padded to 8 digits), {field:8} (text cut or padded to 8 bytes) or {*}");
        }
        String name = m.group(1);
        int width = m.group(5) == null ? 0 : Integer.parseInt(m.group(5));
        boolean zeroPad = "0".equals(m.group(4));
        if (m.group(3) != null && (width < 1 || width > 1024)) {
            throw new TemplateException(at, "'{" + inside + "}' has width " + m.group(5) + "; widths are 1 to 1024");
        }
        if (name.equals("*") && width > 0) {
            throw new TemplateException(at, "'{*}' (the row as JSON) takes no width");
        }
        return new Field(List.of(name.split("\\.")), width, zeroPad, inside);
    }

    /** @return the template as written */
    public String text() {
        return text;
    }

    /** @return the literal text this template starts with (empty if it starts with a field) */
    public String literalPrefix() {
        return parts.isEmpty() || !(parts.get(0) instanceof Literal l) ? "" : l.text();
    }

    /** @return whether every field comes from the record key ({@code {key}} or {@code {key.field}}) */
    public boolean usesOnlyRecordKey() {
        return parts.stream().allMatch(p -> !(p instanceof Field f) || f.path().get(0).equals("key"));
    }

    /**
     * Fills the template.
     *
     * @param row the row (an object, or a text for format {@code string})
     * @param key the record key (an object, a text, or {@code null} for a record without key)
     * @return the text
     * @throws BadRecordException if a field is missing or does not fit its width
     */
    public String fill(JsonNode row, JsonNode key) {
        StringBuilder out = new StringBuilder();
        for (Part p : parts) {
            if (p instanceof Literal l) {
                out.append(l.text());
            } else {
                Field f = (Field) p;
                out.append(f.format(f.resolve(row, key)));
            }
        }
        return out.toString();
    }

    @Override
    public String toString() {
        return text;
    }

    private sealed interface Part permits Literal, Field {
    }

    private record Literal(String text) implements Part {
    }

    private record Field(List<String> path, int width, boolean zeroPad, String written) implements Part {
        JsonNode resolve(JsonNode row, JsonNode key) {
            String first = path.get(0);
            JsonNode node;
            int from;
            if (first.equals("*")) {
                return row;
            } else if (first.equals("key")) {
                if (key == null || key.isNull()) {
                    throw new BadRecordException("the record has no key, which {" + written + "} takes");
                }
                node = key;
                from = 1;
            } else if (first.equals("value") && path.size() == 1 && !row.isObject()) {
                return row;
            } else {
                node = row;
                from = 0;
            }
            for (int i = from; i < path.size(); i++) {
                JsonNode next = node.isObject() ? node.get(path.get(i)) : null;
                if (next == null) {
                    throw new BadRecordException("field " + String.join(".", path) + " is missing"
                            + (from == 1 ? " from the record key" : "") + " (template part {" + written + "})");
                }
                node = next;
            }
            return node;
        }

        String format(JsonNode node) {
            if (node.isNull()) {
                if (width > 0) {
                    throw new BadRecordException("field " + String.join(".", path) + " is null, which {" + written + "} cannot pad");
                }
                return "";
            }
            String s = node.isValueNode() ? node.asText() : node.toString();
            if (width == 0) {
                return s;
            }
            if (zeroPad) {
                if (!(node.isIntegralNumber() || node.isTextual() && !s.isEmpty() && s.chars().allMatch(Character::isDigit))
                        || s.startsWith("-")) {
                    throw new BadRecordException("field " + String.join(".", path) + " is '" + abbreviate(s)
                            + "', not a non-negative integer, which {" + written + "} zero-pads");
                }
                if (s.length() > width) {
                    throw new BadRecordException("field " + String.join(".", path) + " is " + s + ", more than the " + width
                            + " digits of {" + written + "}");
                }
                return "0".repeat(width - s.length()) + s;
            }
            return fitBytes(s, width);
        }
    }

    /** Cuts text to at most {@code width} UTF-8 bytes at a character boundary, then pads with spaces to exactly that. */
    static String fitBytes(String s, int width) {
        StringBuilder out = new StringBuilder();
        int bytes = 0;
        for (int i = 0; i < s.length(); ) {
            int cp = s.codePointAt(i);
            int n = cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4; // its UTF-8 length
            if (bytes + n > width) {
                break;
            }
            out.appendCodePoint(cp);
            bytes += n;
            i += Character.charCount(cp);
        }
        return out + " ".repeat(width - bytes);
    }

    static String abbreviate(String s) {
        return s.length() <= 40 ? s : s.substring(0, 40) + "...";
    }
}
