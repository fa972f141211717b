package io.pequod.server.resp;

import io.netty.handler.codec.redis.IntegerRedisMessage;
import io.netty.handler.codec.redis.RedisMessage;
import io.pequod.schemas.Expiry;
import io.pequod.schemas.avro.Operation;
import io.pequod.server.query.Stored;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

import static io.pequod.server.resp.RespCommands.integer;
import static io.pequod.server.resp.RespCommands.ok;
import static io.pequod.server.resp.RespCommands.orNull;
import static io.pequod.server.resp.RespCommands.text;

/**
 * Keys that expire: SETEX, PSETEX, GETEX, EXPIRE, PEXPIRE, EXPIREAT, PEXPIREAT (NX, XX, GT, LT),
 * PERSIST, TTL, PTTL, EXPIRETIME, PEXPIRETIME (SET's EX, PX, EXAT, PXAT and KEEPTTL are in
 * {@link StringCommands}). An expiry travels with its change ({@code Change.expireAt}) and is
 * kept by the key's owner, which hides the key from reads at once when it passes and then erases
 * it with a tombstone in the table topic; times are absolute milliseconds, so they survive
 * restarts, replays and rebuilds.
 */
final class ExpiryCommands {
    private static final byte[] EMPTY = new byte[0];

    private ExpiryCommands() {
    }

    static void register(RespCommands r) {
        r.addWrite("SETEX", 4, 4, (s, a) -> s.commands().changeAsync(a.get(1), Operation.PUT, a.get(3),
                Expiry.at(absolute("EX", a.get(2), "setex", false))).thenApply(x -> ok()));
        r.addWrite("PSETEX", 4, 4, (s, a) -> s.commands().changeAsync(a.get(1), Operation.PUT, a.get(3),
                Expiry.at(absolute("PX", a.get(2), "psetex", false))).thenApply(x -> ok()));
        r.addWrite("GETEX", 2, 4, ExpiryCommands::getex);
        for (String[] e : new String[][] {{"EXPIRE", "EX"}, {"PEXPIRE", "PX"}, {"EXPIREAT", "EXAT"}, {"PEXPIREAT", "PXAT"}}) {
            String name = e[0].toLowerCase(Locale.ROOT);
            r.addWrite(e[0], 3, 6, (s, a) -> s.commands().changeAsync(a.get(1), Operation.EXPIRE, flags(a, name),
                    Expiry.at(absolute(e[1], a.get(2), name, true))).thenApply(ExpiryCommands::integerAnswer));
        }
        r.addWrite("PERSIST", 2, 2, (s, a) -> s.commands().changeAsync(a.get(1), Operation.PERSIST, EMPTY)
                .thenApply(ExpiryCommands::integerAnswer));
        r.add("TTL", 2, 2, (s, a) -> ttl(s, a.get(1), (at, now) -> (at - now + 500) / 1000));
        r.add("PTTL", 2, 2, (s, a) -> ttl(s, a.get(1), (at, now) -> at - now));
        r.add("EXPIRETIME", 2, 2, (s, a) -> ttl(s, a.get(1), (at, now) -> at / 1000));
        r.add("PEXPIRETIME", 2, 2, (s, a) -> ttl(s, a.get(1), (at, now) -> at));
    }

    /** How a time-to-live command shows an expiry. */
    @FunctionalInterface
    private interface Shown {
        long of(long expireAt, long now);
    }

    /** @return -2 if the key is absent, -1 if it has no expiry, else the expiry as shown */
    private static RedisMessage ttl(RespCommands.Session s, byte[] key, Shown shown) {
        Optional<Stored> v = s.commands().getStored(key);
        if (v.isEmpty()) {
            return new IntegerRedisMessage(-2);
        }
        Long at = v.get().expireAt();
        return new IntegerRedisMessage(at == null ? -1 : Math.max(0, shown.of(at, System.currentTimeMillis())));
    }

    /** {@code GETEX key [EX s|PX ms|EXAT s|PXAT ms|PERSIST]}: the value, setting or removing its expiry. */
    private static CompletableFuture<RedisMessage> getex(RespCommands.Session s, List<byte[]> a) {
        if (a.size() == 2) {
            return CompletableFuture.completedFuture(orNull(s.commands().get(a.get(1))));
        }
        String o = text(a.get(2)).toUpperCase(Locale.ROOT);
        if (o.equals("PERSIST") && a.size() == 3) {
            return s.commands().changeAsync(a.get(1), Operation.EXPIRE_GET, "PERSIST".getBytes(StandardCharsets.US_ASCII))
                    .thenApply(RespCommands::orNull);
        }
        if (a.size() != 4 || !List.of("EX", "PX", "EXAT", "PXAT").contains(o)) {
            throw new IllegalArgumentException("syntax error");
        }
        return s.commands().changeAsync(a.get(1), Operation.EXPIRE_GET, EMPTY, Expiry.at(absolute(o, a.get(3), "getex", false)))
                .thenApply(RespCommands::orNull);
    }

    /** @return EXPIRE's options as the change carries them (NX, XX, GT, LT), checked as Redis checks them */
    private static byte[] flags(List<byte[]> a, String name) {
        List<String> flags = new ArrayList<>();
        for (byte[] f : a.subList(3, a.size())) {
            String flag = text(f).toUpperCase(Locale.ROOT);
            if (!List.of("NX", "XX", "GT", "LT").contains(flag)) {
                throw new IllegalArgumentException("Unsupported option " + text(f));
            }
            flags.add(flag);
        }
        if (flags.contains("NX") && (flags.contains("XX") || flags.contains("GT") || flags.contains("LT"))) {
            throw new IllegalArgumentException("NX and XX, GT or LT options at the same time are not compatible");
        }
        if (flags.contains("GT") && flags.contains("LT")) {
            throw new IllegalArgumentException("GT and LT options at the same time are not compatible");
        }
        return String.join(" ", flags).getBytes(StandardCharsets.US_ASCII);
    }

    /**
     * @param unit     EX or PX (relative seconds or milliseconds), EXAT or PXAT (absolute)
     * @param arg      the number
     * @param command  the command's name, for the error
     * @param anyValue whether zero and negative times are allowed (EXPIRE: they erase the key)
     * @return the expiry in milliseconds since the epoch
     */
    static long absolute(String unit, byte[] arg, String command, boolean anyValue) {
        long n = integer(arg);
        String error = "invalid expire time in '" + command + "' command";
        if (!anyValue && n <= 0) {
            throw new IllegalArgumentException(error);
        }
        try {
            return switch (unit) {
                case "EX" -> Math.addExact(System.currentTimeMillis(), Math.multiplyExact(n, 1000L));
                case "PX" -> Math.addExact(System.currentTimeMillis(), n);
                case "EXAT" -> Math.multiplyExact(n, 1000L);
                default -> n;
            };
        } catch (ArithmeticException overflow) {
            throw new IllegalArgumentException(error);
        }
    }

    private static RedisMessage integerAnswer(Optional<byte[]> answer) {
        return new IntegerRedisMessage(answer.map(v -> v.length == 1 && v[0] == '1' ? 1 : 0).orElse(0));
    }
}
