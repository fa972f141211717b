package io.pequod.views.internals.processor;

import io.pequod.schemas.Changes;
import io.pequod.schemas.avro.Change;
import io.pequod.schemas.avro.Operation;

import java.nio.charset.StandardCharsets;
import java.util.Locale;

/**
 * What each operation does to a key's expiry, as Redis does it: a PUT sets the change's expiry
 * (none unless given, or the old one with {@code keepTtl}); a conditional PUT that writes nothing
 * keeps it; INCR, APPEND, SETRANGE... keep it; EXPIRE sets it if its options allow (NX: no expiry
 * yet, XX: one already, GT: later than the current, LT: earlier; no expiry counts as infinite);
 * PERSIST drops it.
 */
final class ExpiryRules {
    private static final byte[] ONE = "1".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] ZERO = "0".getBytes(StandardCharsets.US_ASCII);

    private ExpiryRules() {
    }

    /**
     * @param c   the change
     * @param old the key's value before it ({@code null}: absent or expired)
     * @param ttl the key's expiry before it ({@code null}: none)
     * @return the key's expiry after it ({@code null}: none)
     */
    static Long after(Change c, byte[] old, Long ttl) {
        Operation op = c.getOp();
        return switch (op) {
            case PUT, PUT_GET -> put(c, ttl);
            case PUT_NX -> old == null ? put(c, null) : ttl;
            case PUT_XX -> old != null ? put(c, ttl) : null;
            case ERASE_GET, PERSIST -> null;
            case EXPIRE -> old != null && allowed(c, ttl) ? c.getExpireAt() : ttl;
            case EXPIRE_GET -> old == null || persist(c) ? null : c.getExpireAt() != null ? c.getExpireAt() : ttl;
            default -> ttl;
        };
    }

    /** @return whether {@link #answer} says what the writer is told (EXPIRE and PERSIST answer 1 or 0) */
    static boolean isAnswered(Operation op) {
        return op == Operation.EXPIRE || op == Operation.PERSIST;
    }

    /** @return EXPIRE's or PERSIST's answer: 1 if it changed the expiry, else 0 */
    static byte[] answer(Change c, byte[] old, Long ttl) {
        boolean changed = old != null && (c.getOp() == Operation.PERSIST ? ttl != null : allowed(c, ttl));
        return changed ? ONE : ZERO;
    }

    private static Long put(Change c, Long ttl) {
        return c.getExpireAt() != null ? c.getExpireAt() : c.getKeepTtl() ? ttl : null;
    }

    private static boolean persist(Change c) {
        return "PERSIST".equals(text(c));
    }

    /** @return whether EXPIRE's options (the change's value: NX, XX, GT, LT, separated by spaces) allow it */
    private static boolean allowed(Change c, Long ttl) {
        long at = c.getExpireAt() == null ? Long.MAX_VALUE : c.getExpireAt();
        for (String flag : text(c).toUpperCase(Locale.ROOT).split(" ")) {
            boolean ok = switch (flag) {
                case "NX" -> ttl == null;
                case "XX" -> ttl != null;
                case "GT" -> ttl != null && at > ttl;
                case "LT" -> ttl == null || at < ttl;
                default -> true;
            };
            if (!ok) {
                return false;
            }
        }
        return true;
    }

    private static String text(Change c) {
        return new String(Changes.bytes(c.getValue()), StandardCharsets.US_ASCII);
    }
}
