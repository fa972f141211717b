package io.pequod.schemas;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * A Pequod key: a byte string of at most {@value #MAX_LENGTH} bytes, ordered bytewise (unsigned).
 * By convention {@code table|field|field...}; the table is the text before the first {@code |},
 * and a key without {@code |} belongs to the table {@value #DEFAULT_TABLE}.
 *
 * <p>Immutable; the byte array is copied in and out.
 */
public final class Key implements Comparable<Key> {
    /** Longest key, in bytes. */
    public static final int MAX_LENGTH = 1024;
    /** Largest value, in bytes (64 MiB; Kafka's record size limits are raised to fit, {@link TableTopics#MAX_RECORD_BYTES}). */
    public static final int MAX_VALUE_LENGTH = 64 * 1024 * 1024;
    /** Table of keys without a {@code |}, so that memento and Redis keys work unchanged. */
    public static final String DEFAULT_TABLE = "kv";
    /** Table names are Kafka topic name characters, at most 100 of them. */
    public static final Pattern TABLE_NAME = Pattern.compile("[A-Za-z0-9_-]{1,100}");
    /** The field separator. */
    public static final byte SEPARATOR = '|';

    private final byte[] bytes;
    private int hash;

    private Key(byte[] bytes) {
        this.bytes = bytes;
    }

    /**
     * @param key the key's text, encoded as UTF-8 (cannot be {@code null})
     * @return the key
     * @throws InvalidKeyException if the key is empty, too long or has an invalid table name
     */
    public static Key of(String key) {
        Objects.requireNonNull(key, "key cannot be null");
        return wrap(key.getBytes(StandardCharsets.UTF_8));
    }

    /**
     * @param key the key's bytes (cannot be {@code null}; copied)
     * @return the key
     * @throws InvalidKeyException if the key is empty, too long or has an invalid table name
     */
    public static Key of(byte[] key) {
        Objects.requireNonNull(key, "key cannot be null");
        return wrap(key.clone());
    }

    private static Key wrap(byte[] b) {
        String problem = validate(b);
        if (problem != null) {
            throw new InvalidKeyException(problem);
        }
        return new Key(b);
    }

    /**
     * Checks a key without building one (for hot paths that keep raw bytes).
     *
     * @param b the key's bytes (cannot be {@code null})
     * @return {@code null} if the key is valid, else a message naming the key and the rule
     */
    public static String validate(byte[] b) {
        if (b.length == 0) {
            return "key is empty; a key is 1 to " + MAX_LENGTH + " bytes";
        }
        if (b.length > MAX_LENGTH) {
            return "key '" + abbreviate(b) + "' is " + b.length + " bytes; the limit is " + MAX_LENGTH;
        }
        int sep = indexOf(b, SEPARATOR, 0);
        if (sep == 0) {
            return "key '" + abbreviate(b) + "' has an empty table name; write table|field..., or a key without '|' for table "
                    + DEFAULT_TABLE;
        }
        if (sep > 0 && !isTableName(b, sep)) {
            return "key '" + abbreviate(b) + "' has table name '" + new String(b, 0, sep, StandardCharsets.UTF_8)
                    + "'; table names are 1 to 100 of [A-Za-z0-9_-]";
        }
        return null;
    }

    private static boolean isTableName(byte[] b, int end) {
        if (end > 100) {
            return false;
        }
        for (int i = 0; i < end; i++) {
            byte c = b[i];
            if (!(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-')) {
                return false;
            }
        }
        return true;
    }

    /**
     * @param b a key's bytes (cannot be {@code null})
     * @return its table: the text before the first {@code |}, or {@value #DEFAULT_TABLE}
     */
    public static String tableOf(byte[] b) {
        int sep = indexOf(b, SEPARATOR, 0);
        return sep < 0 ? DEFAULT_TABLE : new String(b, 0, sep, StandardCharsets.UTF_8);
    }

    static int indexOf(byte[] b, byte c, int from) {
        for (int i = from; i < b.length; i++) {
            if (b[i] == c) {
                return i;
            }
        }
        return -1;
    }

    /** @return a copy of the key's bytes */
    public byte[] bytes() {
        return bytes.clone();
    }

    /** @return the number of bytes */
    public int length() {
        return bytes.length;
    }

    /** @return the table this key belongs to */
    public String table() {
        return tableOf(bytes);
    }

    /** @return the key as UTF-8 text */
    @Override
    public String toString() {
        return new String(bytes, StandardCharsets.UTF_8);
    }

    /** Bytewise unsigned order, the order of range scans. */
    @Override
    public int compareTo(Key o) {
        return Arrays.compareUnsigned(bytes, o.bytes);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Key k && Arrays.equals(bytes, k.bytes);
    }

    @Override
    public int hashCode() {
        int h = hash;
        if (h == 0) {
            h = Arrays.hashCode(bytes);
            hash = h;
        }
        return h;
    }

    static String abbreviate(byte[] b) {
        String s = new String(b, 0, Math.min(b.length, 60), StandardCharsets.UTF_8);
        return b.length > 60 ? s + "..." : s;
    }
}
