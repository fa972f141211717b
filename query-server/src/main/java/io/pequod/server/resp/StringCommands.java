package io.pequod.server.resp;

import io.netty.handler.codec.redis.ArrayRedisMessage;
import io.netty.handler.codec.redis.FullBulkStringRedisMessage;
import io.netty.handler.codec.redis.IntegerRedisMessage;
import io.netty.handler.codec.redis.RedisMessage;
import io.pequod.schemas.Expiry;
import io.pequod.schemas.Key;
import io.pequod.schemas.Numbers;
import io.pequod.schemas.WritePosition;
import io.pequod.schemas.avro.Operation;
import io.pequod.server.query.Stored;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

import static io.pequod.server.resp.RespCommands.ascii;
import static io.pequod.server.resp.RespCommands.bulk;
import static io.pequod.server.resp.RespCommands.integer;
import static io.pequod.server.resp.RespCommands.ok;
import static io.pequod.server.resp.RespCommands.orNull;
import static io.pequod.server.resp.RespCommands.text;

/**
 * Redis' string commands and memento's counters. Reads answer from the stores; a write that
 * depends on the current value (SET NX/XX/GET, SETNX, GETSET, GETDEL, SETRANGE, SETBIT, INCR...)
 * is one change of its own operation, applied in log order by the key's owner, which answers
 * what the command returns: two clients racing on one key are serialized by the log, not by
 * whoever reads first. Expiry is {@link ExpiryCommands}'.
 */
final class StringCommands {
    private static final byte[] EMPTY = new byte[0];

    private StringCommands() {
    }

    static void register(RespCommands r) {
        reads(r);
        r.addWrite("SET", 3, Integer.MAX_VALUE, StringCommands::set);
        r.addWrite("SETNX", 3, 3, (s, a) -> s.commands().changeAsync(a.get(1), Operation.PUT_NX, a.get(2))
                .thenApply(old -> new IntegerRedisMessage(old.isEmpty() ? 1 : 0)));
        r.addWrite("GETSET", 3, 3, (s, a) -> s.commands().changeAsync(a.get(1), Operation.PUT_GET, a.get(2))
                .thenApply(RespCommands::orNull));
        r.addWrite("GETDEL", 2, 2, (s, a) -> s.commands().changeAsync(a.get(1), Operation.ERASE_GET, EMPTY)
                .thenApply(RespCommands::orNull));
        r.addWrite("MSET", 3, Integer.MAX_VALUE, StringCommands::mset);
        for (String del : List.of("DEL", "UNLINK")) {
            r.addWrite(del, 2, Integer.MAX_VALUE, (s, a) -> s.commands().deleteAsync(a.subList(1, a.size()))
                    .thenApply(IntegerRedisMessage::new));
        }
        r.addWrite("APPEND", 3, 3, (s, a) -> s.commands().concatAsync(a.get(1), Operation.APPEND, a.get(2))
                .thenApply(StringCommands::length));
        r.addWrite("PREPEND", 3, 3, (s, a) -> s.commands().concatAsync(a.get(1), Operation.PREPEND, a.get(2))
                .thenApply(StringCommands::length));
        r.addWrite("SETRANGE", 4, 4, StringCommands::setRange);
        r.addWrite("SETBIT", 4, 4, StringCommands::setBit);
        r.addWrite("MSETNX", 3, Integer.MAX_VALUE, StringCommands::msetnx);
        counters(r);
    }

    private static void reads(RespCommands r) {
        r.add("GET", 2, 2, (s, a) -> orNull(s.commands().get(a.get(1))));
        r.add("GETP", 2, 2, (s, a) -> {
            Optional<Stored> v = s.commands().getStored(a.get(1));
            return v.isEmpty() ? FullBulkStringRedisMessage.NULL_INSTANCE : new ArrayRedisMessage(List.of(bulk(a.get(1)),
                    bulk(v.get().value()), new IntegerRedisMessage(v.get().createdAt() == null ? -1 : v.get().createdAt() / 1000),
                    new IntegerRedisMessage(v.get().expireAt() == null ? -1 : v.get().expireAt() / 1000)));
        });
        r.add("MGET", 2, Integer.MAX_VALUE, (s, a) -> {
            List<RedisMessage> out = new ArrayList<>();
            a.subList(1, a.size()).forEach(k -> out.add(orNull(s.commands().get(k))));
            return new ArrayRedisMessage(out);
        });
        r.add("LCS", 3, Integer.MAX_VALUE, Lcs::run);
        r.add("STRLEN", 2, 2, (s, a) -> new IntegerRedisMessage(s.commands().get(a.get(1)).map(v -> v.length).orElse(0)));
        r.add("GETRANGE", 4, 4, (s, a) -> bulk(range(s.commands().get(a.get(1)).orElse(EMPTY), integer(a.get(2)), integer(a.get(3)))));
        r.add("SUBSTR", 4, 4, (s, a) -> bulk(range(s.commands().get(a.get(1)).orElse(EMPTY), integer(a.get(2)), integer(a.get(3)))));
        r.add("GETBIT", 3, 3, (s, a) -> {
            long bit = bitOffset(a.get(2));
            byte[] v = s.commands().get(a.get(1)).orElse(EMPTY);
            long i = bit >>> 3;
            return new IntegerRedisMessage(i < v.length && (v[(int) i] & (1 << (7 - (int) (bit & 7)))) != 0 ? 1 : 0);
        });
    }

    /** {@code SET key value [NX|XX] [GET] [EX s|PX ms|EXAT s|PXAT ms|KEEPTTL]}. */
    private static CompletableFuture<RedisMessage> set(RespCommands.Session s, List<byte[]> a) {
        if (a.size() == 3) {
            return s.commands().setAsync(a.get(1), a.get(2)).thenApply(p -> ok());
        }
        boolean nx = false;
        boolean xx = false;
        boolean get = false;
        Expiry expiry = Expiry.NONE;
        for (int i = 3; i < a.size(); i++) {
            String o = text(a.get(i)).toUpperCase(Locale.ROOT);
            switch (o) {
                case "NX" -> nx = true;
                case "XX" -> xx = true;
                case "GET" -> get = true;
                case "KEEPTTL", "EX", "PX", "EXAT", "PXAT" -> {
                    if (expiry != Expiry.NONE) {
                        throw new IllegalArgumentException("syntax error");
                    }
                    if (o.equals("KEEPTTL")) {
                        expiry = Expiry.KEEP;
                    } else if (++i < a.size()) {
                        expiry = Expiry.at(ExpiryCommands.absolute(o, a.get(i), "set", false));
                    } else {
                        throw new IllegalArgumentException("syntax error");
                    }
                }
                default -> throw new IllegalArgumentException("syntax error");
            }
        }
        if (nx && xx) {
            throw new IllegalArgumentException("syntax error");
        }
        boolean asked = get;
        boolean onlyIfAbsent = nx;
        boolean onlyIfPresent = xx;
        Operation op = nx ? Operation.PUT_NX : xx ? Operation.PUT_XX : get ? Operation.PUT_GET : Operation.PUT;
        return s.commands().changeAsync(a.get(1), op, a.get(2), expiry).thenApply(old -> {
            if (asked) {
                return orNull(old);
            }
            boolean written = onlyIfAbsent ? old.isEmpty() : !onlyIfPresent || old.isPresent();
            return written ? ok() : FullBulkStringRedisMessage.NULL_INSTANCE;
        });
    }

    /** {@code MSET k v ...}: one change per key, answered once all are acknowledged; not atomic across partitions. */
    private static CompletableFuture<RedisMessage> mset(RespCommands.Session s, List<byte[]> a) {
        if (a.size() % 2 == 0) {
            throw new IllegalArgumentException("wrong number of arguments for 'mset' command");
        }
        List<CompletableFuture<WritePosition>> sent = new ArrayList<>();
        for (int i = 1; i < a.size(); i += 2) {
            sent.add(s.commands().setAsync(a.get(i), a.get(i + 1)));
        }
        return CompletableFuture.allOf(sent.toArray(CompletableFuture[]::new)).thenApply(x -> ok());
    }

    /**
     * {@code MSETNX k v ...}: 1 if no key existed and all were set, else 0 and none set. Not atomic
     * across partitions: the keys are read, then each is written with PUT_NX (its owner checks it is
     * still absent); if one was created in between by someone else, the keys this command wrote are
     * erased again and it answers 0. Readers may see some of the keys meanwhile.
     */
    private static CompletableFuture<RedisMessage> msetnx(RespCommands.Session s, List<byte[]> a) {
        if (a.size() % 2 == 0) {
            throw new IllegalArgumentException("wrong number of arguments for 'msetnx' command");
        }
        Map<Key, byte[]> pairs = new LinkedHashMap<>();
        for (int i = 1; i < a.size(); i += 2) {
            pairs.put(Key.of(a.get(i)), a.get(i + 1)); // the last value of a key given twice, as Redis
        }
        for (Key k : pairs.keySet()) {
            if (s.commands().get(k.bytes()).isPresent()) {
                return CompletableFuture.completedFuture(new IntegerRedisMessage(0));
            }
        }
        List<CompletableFuture<Optional<byte[]>>> sets = new ArrayList<>();
        pairs.forEach((k, v) -> sets.add(s.commands().changeAsync(k.bytes(), Operation.PUT_NX, v)));
        return CompletableFuture.allOf(sets.toArray(CompletableFuture[]::new)).thenCompose(x -> {
            List<byte[]> mine = new ArrayList<>();
            int i = 0;
            boolean lost = false;
            for (Key k : pairs.keySet()) {
                if (sets.get(i++).join().isEmpty()) {
                    mine.add(k.bytes());
                } else {
                    lost = true;
                }
            }
            return lost ? s.commands().deleteAsync(mine).thenApply(n -> (RedisMessage) new IntegerRedisMessage(0))
                    : CompletableFuture.completedFuture((RedisMessage) new IntegerRedisMessage(1));
        });
    }

    private static CompletableFuture<RedisMessage> setRange(RespCommands.Session s, List<byte[]> a) {
        long offset = integer(a.get(2));
        if (offset < 0) {
            throw new IllegalArgumentException("offset is out of range");
        }
        byte[] data = a.get(3);
        if (data.length == 0) {
            // Redis writes nothing: the answer is the current length (an absent key stays absent)
            return CompletableFuture.completedFuture(new IntegerRedisMessage(s.commands().get(a.get(1)).map(v -> v.length).orElse(0)));
        }
        if (offset > Key.MAX_VALUE_LENGTH - data.length) {
            throw new IllegalArgumentException("string exceeds maximum allowed size (proto-max-bulk-len, "
                    + Key.MAX_VALUE_LENGTH + " bytes in Pequod)");
        }
        return s.commands().changeAsync(a.get(1), Operation.SETRANGE, withOffset(offset, data))
                .thenApply(v -> new IntegerRedisMessage(v.map(x -> x.length).orElse(0)));
    }

    private static CompletableFuture<RedisMessage> setBit(RespCommands.Session s, List<byte[]> a) {
        long bit = bitOffset(a.get(2));
        Long value = Numbers.parseLong(a.get(3));
        if (value == null || (value != 0 && value != 1)) {
            throw new IllegalArgumentException("bit is not an integer or out of range");
        }
        return s.commands().changeAsync(a.get(1), Operation.SETBIT, withOffset(bit, new byte[] {(byte) ('0' + value)}))
                .thenApply(old -> new IntegerRedisMessage(old.map(v -> v.length == 1 && v[0] == '1' ? 1 : 0).orElse(0)));
    }

    private static long bitOffset(byte[] b) {
        Long bit = Numbers.parseLong(b);
        if (bit == null || bit < 0 || bit >= 8L * Key.MAX_VALUE_LENGTH) {
            throw new IllegalArgumentException("bit offset is not an integer or out of range");
        }
        return bit;
    }

    private static byte[] withOffset(long offset, byte[] data) {
        byte[] head = (offset + ":").getBytes(StandardCharsets.US_ASCII);
        byte[] out = Arrays.copyOf(head, head.length + data.length);
        System.arraycopy(data, 0, out, head.length, data.length);
        return out;
    }

    /** @return GETRANGE's bytes: {@code start} to {@code end} inclusive, negative counting from the end */
    static byte[] range(byte[] v, long start, long end) {
        long n = v.length;
        if (start < 0 && end < 0 && start > end) {
            return EMPTY;
        }
        long from = Math.max(0, start < 0 ? n + start : start);
        long to = Math.min(Math.max(0, end < 0 ? n + end : end), n - 1);
        if (n == 0 || from > to) {
            return EMPTY;
        }
        return Arrays.copyOfRange(v, (int) from, (int) to + 1);
    }

    private static void counters(RespCommands r) {
        r.addWrite("INCR", 2, 2, (s, a) -> increment(s, a.get(1), 1));
        r.addWrite("DECR", 2, 2, (s, a) -> increment(s, a.get(1), -1));
        r.addWrite("INCRBY", 3, 3, (s, a) -> increment(s, a.get(1), integer(a.get(2))));
        r.addWrite("DECRBY", 3, 3, (s, a) -> increment(s, a.get(1), negate(integer(a.get(2)))));
        r.addWrite("INC", 2, 3, (s, a) -> increment(s, a.get(1), a.size() == 3 ? integer(a.get(2)) : 1));
        r.addWrite("DEC", 2, 3, (s, a) -> increment(s, a.get(1), negate(a.size() == 3 ? integer(a.get(2)) : 1)));
        r.addWrite("INCRBYFLOAT", 3, 3, (s, a) -> incrementFloat(s, a.get(1), decimal(a.get(2))));
        r.addWrite("INCF", 2, 3, (s, a) -> incrementFloat(s, a.get(1), a.size() == 3 ? decimal(a.get(2)) : "1"));
        r.addWrite("DECF", 2, 3, (s, a) -> {
            String x = a.size() == 3 ? decimal(a.get(2)) : "1";
            return incrementFloat(s, a.get(1), x.startsWith("-") ? x.substring(1) : "-" + x);
        });
    }

    private static long negate(long n) {
        if (n == Long.MIN_VALUE) {
            throw new IllegalArgumentException("decrement would overflow");
        }
        return -n;
    }

    /** @return the argument as a finite decimal number, read as Redis reads one */
    private static String decimal(byte[] b) {
        if (Numbers.isInfinity(b)) {
            throw new IllegalArgumentException("increment would produce NaN or Infinity");
        }
        if (Numbers.parseDecimal(b) == null) {
            throw new IllegalArgumentException("value is not a valid float");
        }
        return new String(b, StandardCharsets.US_ASCII);
    }

    private static CompletableFuture<RedisMessage> incrementFloat(RespCommands.Session s, byte[] key, String amount) {
        return s.commands().incrementByFloatAsync(key, amount).thenApply(RespCommands::ascii);
    }

    private static CompletableFuture<RedisMessage> increment(RespCommands.Session s, byte[] key, long amount) {
        return s.commands().incrementByAsync(key, amount).thenApply(IntegerRedisMessage::new);
    }

    private static RedisMessage length(byte[] v) {
        return new IntegerRedisMessage(v.length);
    }
}
