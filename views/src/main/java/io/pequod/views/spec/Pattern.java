package io.pequod.views.spec;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * A key pattern such as {@code t|<user>|<time>|<poster>}: literal text and slots. The table is
 * the literal text before the first {@code |}.
 *
 * @param table    the table (cannot be {@code null})
 * @param elements literals and slots, in order (cannot be {@code null})
 * @param text     the pattern as written
 * @param position where it was written
 */
public record Pattern(String table, List<Element> elements, String text, SourcePosition position) {
    /** Validates and copies. */
    public Pattern {
        Objects.requireNonNull(table, "table cannot be null");
        elements = List.copyOf(elements);
        Objects.requireNonNull(text, "text cannot be null");
        Objects.requireNonNull(position, "position cannot be null");
    }

    /** A part of a pattern. */
    public sealed interface Element permits Literal, Slot {
    }

    /**
     * Literal bytes.
     *
     * @param text the literal text (UTF-8)
     */
    public record Literal(String text) implements Element {
        /** @return the UTF-8 bytes */
        public byte[] bytes() {
            return text.getBytes(StandardCharsets.UTF_8);
        }
    }

    /**
     * A slot: a named field of fixed width, or of variable width ({@link #VARIABLE}) that extends
     * to the next literal character of the pattern or the end of the key.
     *
     * @param name  the slot's name (anonymous slots get {@code _1}, {@code _2}...)
     * @param width its width in bytes, or {@link #VARIABLE}
     */
    public record Slot(String name, int width) implements Element {
        /** Width of a variable-length slot. */
        public static final int VARIABLE = -1;

        /** @return whether the slot has a fixed width */
        public boolean fixed() {
            return width != VARIABLE;
        }
    }

    /** @return the names of the slots, in order of first appearance */
    public Set<String> slotNames() {
        Set<String> s = new LinkedHashSet<>();
        for (Element e : elements) {
            if (e instanceof Slot slot) {
                s.add(slot.name());
            }
        }
        return s;
    }

    /**
     * Matches a key against this pattern.
     *
     * @param key a key (cannot be {@code null})
     * @return slot name to bound bytes, or {@code null} if the key does not match
     */
    public Map<String, byte[]> match(byte[] key) {
        Map<String, byte[]> out = new HashMap<>();
        int pos = 0;
        for (int i = 0; i < elements.size(); i++) {
            Element e = elements.get(i);
            if (e instanceof Literal lit) {
                byte[] b = lit.bytes();
                if (key.length - pos < b.length || !Arrays.equals(key, pos, pos + b.length, b, 0, b.length)) {
                    return null;
                }
                pos += b.length;
            } else {
                Slot s = (Slot) e;
                int end;
                if (s.fixed()) {
                    end = pos + s.width();
                    if (end > key.length) {
                        return null;
                    }
                } else {
                    end = variableEnd(key, pos, i);
                }
                byte[] v = Arrays.copyOfRange(key, pos, end);
                byte[] prior = out.putIfAbsent(s.name(), v);
                if (prior != null && !Arrays.equals(prior, v)) {
                    return null;
                }
                pos = end;
            }
        }
        return pos == key.length ? out : null;
    }

    private int variableEnd(byte[] key, int from, int index) {
        if (index + 1 >= elements.size()) {
            return key.length;
        }
        byte stop = ((Literal) elements.get(index + 1)).bytes()[0];
        for (int j = from; j < key.length; j++) {
            if (key[j] == stop) {
                return j;
            }
        }
        return key.length;
    }

    /**
     * Builds the key for slot values.
     *
     * @param bindings slot name to value; must bind every slot (cannot be {@code null})
     * @return the key
     */
    public byte[] build(Map<String, byte[]> bindings) {
        List<byte[]> parts = new ArrayList<>(elements.size());
        int n = 0;
        for (Element e : elements) {
            byte[] b = e instanceof Literal lit ? lit.bytes() : bindings.get(((Slot) e).name());
            if (b == null) {
                throw new IllegalArgumentException("slot <" + ((Slot) e).name() + "> of " + text + " is not bound");
            }
            parts.add(b);
            n += b.length;
        }
        byte[] out = new byte[n];
        int pos = 0;
        for (byte[] b : parts) {
            System.arraycopy(b, 0, out, pos, b.length);
            pos += b.length;
        }
        return out;
    }

    /**
     * The longest key prefix that bindings determine: literals and bound slots up to the first
     * unbound slot. All keys matching the pattern with these bindings start with it.
     *
     * @param bindings slot values (cannot be {@code null})
     * @return the prefix
     */
    public byte[] prefix(Map<String, byte[]> bindings) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (Element e : elements) {
            byte[] b = e instanceof Literal lit ? lit.bytes() : bindings.get(((Slot) e).name());
            if (b == null) {
                break;
            }
            out.write(b, 0, b.length);
        }
        return out.toByteArray();
    }

    /**
     * Binds the slots that a key prefix fixes completely: fixed-width slots fully inside it and
     * variable slots followed by their literal.
     *
     * @param prefix a key prefix (cannot be {@code null})
     * @return the slots bound, possibly none; empty also when the prefix contradicts the pattern
     */
    public Map<String, byte[]> bindPrefix(byte[] prefix) {
        Map<String, byte[]> out = new HashMap<>();
        int pos = 0;
        for (int i = 0; i < elements.size(); i++) {
            Element e = elements.get(i);
            if (e instanceof Literal lit) {
                byte[] b = lit.bytes();
                int n = Math.min(b.length, prefix.length - pos);
                if (!Arrays.equals(prefix, pos, pos + n, b, 0, n)) {
                    return Map.of();
                }
                if (n < b.length) {
                    return out;
                }
                pos += n;
            } else {
                Slot s = (Slot) e;
                int end;
                if (s.fixed()) {
                    end = pos + s.width();
                    if (end > prefix.length) {
                        return out;
                    }
                } else {
                    if (i + 1 >= elements.size()) {
                        return out;
                    }
                    end = variableEnd(prefix, pos, i);
                    if (end >= prefix.length) {
                        return out;
                    }
                }
                out.putIfAbsent(s.name(), Arrays.copyOfRange(prefix, pos, end));
                pos = end;
            }
        }
        return out;
    }

    /**
     * @return the width of the first field after the table when it is a fixed-width slot followed
     * by another slot (no separator), else -1: such tables partition by that width
     */
    public int fixedFirstFieldWidth() {
        if (elements.size() >= 3 && elements.get(1) instanceof Slot s && s.fixed() && elements.get(2) instanceof Slot) {
            Element first = elements.get(0);
            if (first instanceof Literal l && l.text().equals(table + "|")) {
                return s.width();
            }
        }
        return -1;
    }

    @Override
    public String toString() {
        return text;
    }
}
