package io.pequod.schemas;

import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.util.Locale;

/**
 * Numbers in values and arguments, read as Redis reads them: an integer is an optional {@code -}
 * and decimal digits without a leading zero, spaces or {@code +}, within 64 bits (Redis'
 * {@code string2ll}); a decimal number has no surrounding spaces and is finite (Redis'
 * {@code strtold} check, which refuses NaN; infinity parses but no value may become it).
 */
public final class Numbers {
    private static final int MAX_LONG_DIGITS = 20;

    private Numbers() {
    }

    /** @param b text @return the 64-bit integer it is, or {@code null} if it is not exactly one */
    public static Long parseLong(byte[] b) {
        if (b.length == 0 || b.length > MAX_LONG_DIGITS) {
            return null;
        }
        if (b.length == 1 && b[0] == '0') {
            return 0L;
        }
        boolean negative = b[0] == '-';
        int i = negative ? 1 : 0;
        if (i >= b.length || b[i] < '1' || b[i] > '9') {
            return null;
        }
        long n = 0; // accumulated as a negative number: its range is one larger
        for (; i < b.length; i++) {
            if (b[i] < '0' || b[i] > '9' || n < (Long.MIN_VALUE + (b[i] - '0')) / 10) {
                return null;
            }
            n = n * 10 - (b[i] - '0');
        }
        if (!negative && n == Long.MIN_VALUE) {
            return null;
        }
        return negative ? n : -n;
    }

    /** @param b text @return the finite decimal number it is, or {@code null} if it is not one (or infinite) */
    public static BigDecimal parseDecimal(byte[] b) {
        if (b.length == 0 || b.length > 5000 || Character.isWhitespace(b[0]) || Character.isWhitespace(b[b.length - 1])) {
            return null;
        }
        try {
            return new BigDecimal(new String(b, StandardCharsets.US_ASCII));
        } catch (NumberFormatException e) {
            return null;
        }
    }

    /** @param b text @return whether it is an infinity as C's {@code strtold} reads one ({@code inf}, {@code -Infinity}...) */
    public static boolean isInfinity(byte[] b) {
        String s = new String(b, StandardCharsets.US_ASCII).toLowerCase(Locale.ROOT);
        if (s.startsWith("+") || s.startsWith("-")) {
            s = s.substring(1);
        }
        return s.equals("inf") || s.equals("infinity");
    }
}
