package io.pequod.schemas;

import io.pequod.schemas.avro.Change;
import io.pequod.schemas.avro.Operation;

import java.math.BigDecimal;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * Building {@link Change} records and applying them to a current value, with the semantics every
 * table owner uses (Redis's): PUT replaces; INCR adds a 64-bit integer (a missing key counts as 0;
 * numbers are parsed as Redis does, {@link Numbers}); INCRF adds a decimal number; APPEND and
 * PREPEND concatenate (a missing key counts as empty); the conditional PUTs, ERASE_GET, SETRANGE
 * and SETBIT as {@code Change.avsc} says.
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
        return new Change(op, ByteBuffer.wrap(value), null, null, null, false);
    }

    /**
     * Applies {@code change} to {@code current}.
     *
     * @param key     the key, for error messages (cannot be {@code null})
     * @param current the current value, or {@code null} when the key is absent
     * @param change  the change (cannot be {@code null})
     * @return the new value ({@code null}: the key is absent afterwards)
     * @throws InvalidValueException if a numeric operation meets a non-numeric value or amount
     */
    public static byte[] apply(byte[] key, byte[] current, Change change) {
        byte[] v = bytes(change.getValue());
        switch (change.getOp()) {
            case PUT:
            case PUT_GET:
                return v;
            case PUT_NX:
                return current == null ? v : current;
            case PUT_XX:
                return current == null ? null : v;
            case ERASE_GET:
                return null;
            case EXPIRE:
            case PERSIST:
            case EXPIRE_GET:
                return current; // the key's expiry changes, not its value (the table's owner keeps expiries)
            case APPEND:
                return concat(current == null ? new byte[0] : current, v);
            case PREPEND:
                return concat(v, current == null ? new byte[0] : current);
            case SETRANGE:
                return StringEdits.setRange(key, current, v);
            case SETBIT:
                return StringEdits.setBit(key, current, v);
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

    /**
     * What the writer of a change is told once it is applied: the old value for {@code PUT_NX},
     * {@code PUT_XX}, {@code PUT_GET} and {@code ERASE_GET}, the old bit ({@code 0} or {@code 1})
     * for {@code SETBIT}, the new value otherwise.
     *
     * @param change  the change applied
     * @param before  the key's value before it ({@code null}: absent)
     * @param after   the key's value after it ({@code null}: absent)
     * @return the answer ({@code null}: absent)
     */
    public static byte[] answer(Change change, byte[] before, byte[] after) {
        return switch (change.getOp()) {
            case PUT_NX, PUT_XX, PUT_GET, ERASE_GET -> before;
            case SETBIT -> StringEdits.bitAt(before, StringEdits.offset(bytes(change.getValue())));
            default -> after;
        };
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
        Long n = Numbers.parseLong(v);
        if (n == null) {
            throw new InvalidValueException("value is not an integer or out of range (" + what + " '" + text(v) + "' at key '"
                    + text(key) + "')");
        }
        return n;
    }

    static BigDecimal parseDecimal(byte[] key, byte[] v, String what) {
        BigDecimal d = Numbers.parseDecimal(v);
        if (d == null) {
            throw new InvalidValueException("value is not a valid float (" + what + " '" + text(v) + "' at key '" + text(key) + "')");
        }
        return d;
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
