package io.pequod.schemas;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * SETRANGE and SETBIT on a value, as Redis applies them: a write past the end pads with zero
 * bytes; bits are numbered from the most significant bit of the first byte. A change's value is
 * the decimal offset, {@code :}, then the bytes (SETRANGE) or the bit (SETBIT).
 */
final class StringEdits {
    private StringEdits() {
    }

    /** @param v a SETRANGE or SETBIT change's value @return its offset */
    static long offset(byte[] v) {
        int colon = colon(v);
        Long n = Numbers.parseLong(Arrays.copyOf(v, colon));
        if (n == null || n < 0) {
            throw new InvalidValueException("offset is out of range");
        }
        return n;
    }

    static byte[] setRange(byte[] key, byte[] current, byte[] v) {
        int colon = colon(v);
        long offset = offset(v);
        int n = v.length - colon - 1;
        byte[] old = current == null ? new byte[0] : current;
        if (n == 0) {
            return current; // Redis: nothing written, an absent key stays absent
        }
        if (offset > Key.MAX_VALUE_LENGTH - n) {
            throw new InvalidValueException("string exceeds maximum allowed size at key '" + Key.abbreviate(key) + "'");
        }
        byte[] out = Arrays.copyOf(old, (int) Math.max(old.length, offset + n));
        System.arraycopy(v, colon + 1, out, (int) offset, n);
        return out;
    }

    static byte[] setBit(byte[] key, byte[] current, byte[] v) {
        long bit = offset(v);
        int colon = colon(v);
        boolean on = v.length == colon + 2 && v[colon + 1] == '1';
        long byteIndex = bit >>> 3;
        if (byteIndex >= Key.MAX_VALUE_LENGTH) {
            throw new InvalidValueException("string exceeds maximum allowed size at key '" + Key.abbreviate(key) + "'");
        }
        byte[] old = current == null ? new byte[0] : current;
        byte[] out = Arrays.copyOf(old, (int) Math.max(old.length, byteIndex + 1));
        int mask = 1 << (7 - (int) (bit & 7));
        out[(int) byteIndex] = (byte) (on ? out[(int) byteIndex] | mask : out[(int) byteIndex] & ~mask);
        return out;
    }

    /** @return {@code "1"} or {@code "0"}: the bit at {@code bit} of the value (0 past its end) */
    static byte[] bitAt(byte[] value, long bit) {
        long byteIndex = bit >>> 3;
        boolean on = value != null && byteIndex < value.length && (value[(int) byteIndex] & (1 << (7 - (int) (bit & 7)))) != 0;
        return (on ? "1" : "0").getBytes(StandardCharsets.US_ASCII);
    }

    private static int colon(byte[] v) {
        for (int i = 0; i < v.length; i++) {
            if (v[i] == ':') {
                return i;
            }
        }
        throw new InvalidValueException("an offset change has no ':' after its offset");
    }
}
