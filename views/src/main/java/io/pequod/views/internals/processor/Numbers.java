package io.pequod.views.internals.processor;

import java.nio.charset.StandardCharsets;

/** Number parsing with Pequod's lenient semantics. */
public final class Numbers {
    private Numbers() {
    }

    /**
     * @param v a value (may be {@code null})
     * @return its integer value: optional sign and leading digits, else 0 (as C's strtol)
     */
    public static long leadingLong(byte[] v) {
        if (v == null) {
            return 0;
        }
        String s = new String(v, StandardCharsets.US_ASCII).trim();
        int i = 0;
        if (i < s.length() && (s.charAt(i) == '-' || s.charAt(i) == '+')) {
            i++;
        }
        int start = i;
        while (i < s.length() && Character.isDigit(s.charAt(i)) && i - start < 18) {
            i++;
        }
        return i == start ? 0 : Long.parseLong(s.substring(0, i));
    }
}
