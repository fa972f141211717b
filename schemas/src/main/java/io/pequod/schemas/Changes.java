package io.pequod.schemas;

import io.pequod.schemas.avro.Change;
import io.pequod.schemas.avro.Operation;

import java.math.BigDecimal;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * Building {@link Change} records and applying them to a current value, with the semantics every
 * table owner uses: PUT replaces; INCR adds a 64-bit integer (a missing key counts as 0); INCRF adds
 * a decimal number; APPEND and PREPEND concatenate (a missing key counts as empty).
 */
public final class Changes {
    private Changes() {
    }

    /**
     * @param op    the operation (cannot be {@code null})
     * @param value the value or amount (cannot be {@code null})
     * @return a change without timestamp or request id
     */
    public static Change of(Operation op, byte[] value) {
        return new Change(op, ByteBuffer.wrap(value), null, null);
    }

    /**
     * Applies {@code change} to {@code current}.
     *
     * @param key     the key, for error messages (cannot be {@code null})
     * @param current the current value, or {@code null} when the key is absent
     * @param change  the change (cannot be {@code null})
     * @return the new value
     * @throws InvalidValueException if a numeric operation meets a non-numeric value or amount
     */
    public static byte[] apply(byte[] key, byte[] current, Change change) {
        byte[] v = bytes(change.getValue());
        switch (change.getOp()) {
            case PUT:
                return v;
            case APPEND:
                return concat(current == null ? new byte[0] : current, v);
            case PREPEND:
                return concat(v, current == null ? new byte[0] : current);
            case INCR: {
                long base = current == null ? 0 : parseLong(key, current, "current value");
                long amount = parseLong(key, v, "increment");
                try {
                    return Long.toString(Math.addExact(base, amount)).getBytes(StandardCharsets.US_ASCII);
                } catch (ArithmeticException e) {
                    throw new InvalidValueException("increment or decrement would overflow at key '" + text(key) + "'");
                }
            }
            case INCRF: {
                BigDecimal base = current == null ? BigDecimal.ZERO : parseDecimal(key, current, "current value");
                BigDecimal sum = base.add(parseDecimal(key, v, "increment"));
                return formatDecimal(sum).getBytes(StandardCharsets.US_ASCII);
            }
            default:
                throw new IllegalArgumentException("Unknown operation " + change.getOp());
        }
    }

    /** @return a change's value bytes, without disturbing the buffer */
    public static byte[] bytes(ByteBuffer b) {
        ByteBuffer d = b.duplicate();
        byte[] out = new byte[d.remaining()];
        d.get(out);
        return out;
    }

    static String formatDecimal(BigDecimal d) {
        BigDecimal s = d.stripTrailingZeros();
        return s.scale() <= 0 ? s.toBigInteger().toString() : s.toPlainString();
    }

    /**
     * @param key  the key, for the message
     * @param v    a value
     * @param what what the value is, for the message
     * @return the value as a 64-bit integer
     */
    public static long parseLong(byte[] key, byte[] v, String what) {
        try {
            return Long.parseLong(new String(v, StandardCharsets.US_ASCII).trim());
        } catch (NumberFormatException e) {
            throw new InvalidValueException(what + " '" + text(v) + "' at key '" + text(key)
                    + "' is not an integer or out of range");
        }
    }

    static BigDecimal parseDecimal(byte[] key, byte[] v, String what) {
        try {
            return new BigDecimal(new String(v, StandardCharsets.US_ASCII).trim());
        } catch (NumberFormatException e) {
            throw new InvalidValueException(what + " '" + text(v) + "' at key '" + text(key) + "' is not a number");
        }
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] out = new byte[a.length + b.length];
        System.arraycopy(a, 0, out, 0, a.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    private static String text(byte[] b) {
        return Key.abbreviate(b);
    }
}
