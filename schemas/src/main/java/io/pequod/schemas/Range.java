package io.pequod.schemas;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Objects;

/**
 * A half-open key range {@code [first, last)} in bytewise order. All keys with prefix
 * {@code t|alice|} are {@code Range.prefix("t|alice|")}, that is {@code [t|alice|, t|alice})}.
 *
 * @param first the smallest key in the range (inclusive; cannot be {@code null})
 * @param last  the end of the range (exclusive; cannot be {@code null})
 */
public record Range(byte[] first, byte[] last) {
    /**
     * @throws InvalidKeyException if {@code last} sorts before {@code first}
     */
    public Range {
        Objects.requireNonNull(first, "first cannot be null");
        Objects.requireNonNull(last, "last cannot be null");
        if (Arrays.compareUnsigned(first, last) > 0) {
            throw new InvalidKeyException("range [" + new String(first, StandardCharsets.UTF_8) + ", "
                    + new String(last, StandardCharsets.UTF_8) + ") ends before it starts; last must not sort before first");
        }
    }

    /**
     * @param first inclusive start, UTF-8 (cannot be {@code null})
     * @param last  exclusive end, UTF-8 (cannot be {@code null})
     * @return the range
     */
    public static Range of(String first, String last) {
        return new Range(first.getBytes(StandardCharsets.UTF_8), last.getBytes(StandardCharsets.UTF_8));
    }

    /**
     * @param prefix a key prefix, UTF-8 (cannot be {@code null} or empty)
     * @return the range of all keys starting with {@code prefix}
     */
    public static Range prefix(String prefix) {
        return prefix(prefix.getBytes(StandardCharsets.UTF_8));
    }

    /**
     * @param prefix a key prefix (cannot be {@code null} or empty, nor all 0xFF bytes)
     * @return the range of all keys starting with {@code prefix}
     */
    public static Range prefix(byte[] prefix) {
        return new Range(prefix.clone(), successor(prefix));
    }

    /**
     * @param prefix a prefix
     * @return the smallest byte string greater than every string with that prefix
     */
    public static byte[] successor(byte[] prefix) {
        int i = prefix.length - 1;
        while (i >= 0 && prefix[i] == (byte) 0xFF) {
            i--;
        }
        if (i < 0) {
            throw new InvalidKeyException("prefix of " + prefix.length + " bytes 0xFF has no upper bound");
        }
        byte[] end = Arrays.copyOf(prefix, i + 1);
        end[i]++;
        return end;
    }

    /**
     * @param key a key (cannot be {@code null})
     * @return whether {@code first <= key < last}
     */
    public boolean contains(byte[] key) {
        return Arrays.compareUnsigned(first, key) <= 0 && Arrays.compareUnsigned(key, last) < 0;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Range r && Arrays.equals(first, r.first) && Arrays.equals(last, r.last);
    }

    @Override
    public int hashCode() {
        return 31 * Arrays.hashCode(first) + Arrays.hashCode(last);
    }

    @Override
    public String toString() {
        return "[" + new String(first, StandardCharsets.UTF_8) + ", " + new String(last, StandardCharsets.UTF_8) + ")";
    }
}
