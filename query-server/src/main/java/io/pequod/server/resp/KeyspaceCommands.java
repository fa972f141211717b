package io.pequod.server.resp;

import io.netty.handler.codec.redis.ArrayRedisMessage;
import io.netty.handler.codec.redis.FullBulkStringRedisMessage;
import io.netty.handler.codec.redis.IntegerRedisMessage;
import io.netty.handler.codec.redis.RedisMessage;
import io.netty.handler.codec.redis.SimpleStringRedisMessage;
import io.pequod.schemas.Expiry;
import io.pequod.schemas.avro.Operation;
import io.pequod.server.query.Entry;
import io.pequod.server.query.ScanResult;
import io.pequod.server.query.Stored;

import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ThreadLocalRandom;

import static io.pequod.server.resp.RespCommands.ascii;
import static io.pequod.server.resp.RespCommands.bulk;
import static io.pequod.server.resp.RespCommands.integer;
import static io.pequod.server.resp.RespCommands.ok;
import static io.pequod.server.resp.RespCommands.text;

/**
 * Commands over the whole keyspace: the keys of every table users write (the default table and
 * the others, never views or source-fed tables), across all partitions and instances. KEYS,
 * SCAN (its cursor is the last key returned, as a number: no state on the server, so it survives
 * rebalances and works on any instance), DBSIZE, RANDOMKEY, EXISTS, TOUCH, TYPE (every value is a
 * string), RENAME, RENAMENX, COPY (not atomic across partitions), FLUSHDB, FLUSHALL and memento's FLUSH.
 */
final class KeyspaceCommands {
    private static final int DEFAULT_SCAN_COUNT = 10;
    private static final int MAX_SCAN_COUNT = 10_000;

    private KeyspaceCommands() {
    }

    static void register(RespCommands r) {
        r.add("EXISTS", 2, Integer.MAX_VALUE, (s, a) ->
                new IntegerRedisMessage(a.subList(1, a.size()).stream().filter(k -> s.commands().get(k).isPresent()).count()));
        r.add("TOUCH", 2, Integer.MAX_VALUE, (s, a) ->
                new IntegerRedisMessage(a.subList(1, a.size()).stream().filter(k -> s.commands().get(k).isPresent()).count()));
        r.add("TYPE", 2, 2, (s, a) -> new SimpleStringRedisMessage(s.commands().get(a.get(1)).isPresent() ? "string" : "none"));
        r.add("DBSIZE", 1, 1, (s, a) -> new IntegerRedisMessage(s.commands().keyCount()));
        r.add("KEYS", 2, 2, (s, a) -> {
            List<RedisMessage> out = new ArrayList<>();
            s.commands().forEachKey(e -> {
                if (Glob.matches(a.get(1), e.key(), false)) {
                    out.add(bulk(e.key()));
                }
                return true;
            });
            return new ArrayRedisMessage(out);
        });
        r.add("RANDOMKEY", 1, 1, KeyspaceCommands::randomKey);
        r.addWrite("RENAME", 3, 3, (s, a) -> rename(s, a, false));
        r.addWrite("RENAMENX", 3, 3, (s, a) -> rename(s, a, true));
        r.addWrite("COPY", 3, 6, KeyspaceCommands::copy);
        r.add("SCAN", 2, Integer.MAX_VALUE, KeyspaceCommands::scan);
        for (String flush : List.of("FLUSH", "FLUSHDB", "FLUSHALL")) {
            r.add(flush, 1, 2, (s, a) -> {
                if (a.size() == 2 && !List.of("ASYNC", "SYNC").contains(text(a.get(1)).toUpperCase(Locale.ROOT))) {
                    throw new IllegalArgumentException("syntax error");
                }
                s.commands().flush();
                return ok();
            });
        }
    }

    /**
     * {@code RENAME src dst} and {@code RENAMENX}: the value and its expiry written under the new
     * key (only if it is absent for RENAMENX), then the old key erased. Two changes, possibly in two
     * partitions: not atomic (a reader may see both keys, or a write to {@code src} in between may
     * be erased with it).
     */
    private static CompletableFuture<RedisMessage> rename(RespCommands.Session s, List<byte[]> a, boolean nx) {
        Optional<Stored> v = s.commands().getStored(a.get(1));
        if (v.isEmpty()) {
            throw new IllegalArgumentException("no such key");
        }
        if (Arrays.equals(a.get(1), a.get(2))) {
            return CompletableFuture.completedFuture(nx ? new IntegerRedisMessage(0) : ok());
        }
        Expiry expiry = v.get().expireAt() == null ? Expiry.NONE : Expiry.at(v.get().expireAt());
        return s.commands().changeAsync(a.get(2), nx ? Operation.PUT_NX : Operation.PUT, v.get().value(), expiry)
                .thenCompose(old -> {
                    if (nx && old.isPresent()) {
                        return CompletableFuture.completedFuture(new IntegerRedisMessage(0));
                    }
                    return s.commands().deleteAsync(List.of(a.get(1))).thenApply(n -> nx ? new IntegerRedisMessage(1) : ok());
                });
    }

    /** {@code COPY src dst [DB 0] [REPLACE]}: the value and its expiry under the new key (only if absent without REPLACE). */
    private static CompletableFuture<RedisMessage> copy(RespCommands.Session s, List<byte[]> a) {
        boolean replace = false;
        for (int i = 3; i < a.size(); i++) {
            String o = text(a.get(i)).toUpperCase(Locale.ROOT);
            if (o.equals("REPLACE")) {
                replace = true;
            } else if (o.equals("DB") && i + 1 < a.size()) {
                if (integer(a.get(++i)) != 0) {
                    throw new IllegalArgumentException("DB index is out of range (Pequod has one database, 0)");
                }
            } else {
                throw new IllegalArgumentException("syntax error");
            }
        }
        Optional<Stored> v = s.commands().getStored(a.get(1));
        if (v.isEmpty() || Arrays.equals(a.get(1), a.get(2))) {
            if (v.isPresent()) {
                throw new IllegalArgumentException("source and destination objects are the same");
            }
            return CompletableFuture.completedFuture(new IntegerRedisMessage(0));
        }
        Expiry expiry = v.get().expireAt() == null ? Expiry.NONE : Expiry.at(v.get().expireAt());
        boolean nx = !replace;
        return s.commands().changeAsync(a.get(2), nx ? Operation.PUT_NX : Operation.PUT, v.get().value(), expiry)
                .thenApply(old -> new IntegerRedisMessage(nx && old.isPresent() ? 0 : 1));
    }

    /** A key chosen uniformly: by its position among all keys (two passes over the keyspace). */
    private static RedisMessage randomKey(RespCommands.Session s, List<byte[]> a) {
        long n = s.commands().keyCount();
        if (n == 0) {
            return FullBulkStringRedisMessage.NULL_INSTANCE;
        }
        long pick = ThreadLocalRandom.current().nextLong(n);
        byte[][] found = {null};
        long[] i = {0};
        s.commands().forEachKey(e -> {
            found[0] = e.key();
            return i[0]++ < pick;
        });
        return found[0] == null ? FullBulkStringRedisMessage.NULL_INSTANCE : bulk(found[0]);
    }

    /** {@code SCAN cursor [MATCH pattern] [COUNT n] [TYPE type]}. */
    private static RedisMessage scan(RespCommands.Session s, List<byte[]> a) {
        byte[] after = cursorKey(a.get(1));
        byte[] pattern = null;
        int count = DEFAULT_SCAN_COUNT;
        String type = null;
        for (int i = 2; i < a.size(); i += 2) {
            if (i + 1 >= a.size()) {
                throw new IllegalArgumentException("syntax error");
            }
            switch (text(a.get(i)).toUpperCase(Locale.ROOT)) {
                case "MATCH" -> pattern = a.get(i + 1);
                case "COUNT" -> {
                    long c = integer(a.get(i + 1));
                    if (c < 1) {
                        throw new IllegalArgumentException("syntax error");
                    }
                    count = (int) Math.min(c, MAX_SCAN_COUNT);
                }
                case "TYPE" -> type = text(a.get(i + 1)).toLowerCase(Locale.ROOT);
                default -> throw new IllegalArgumentException("syntax error");
            }
        }
        ScanResult page = s.commands().keysAfter(after, count);
        List<RedisMessage> keys = new ArrayList<>();
        for (Entry e : page.entries()) {
            if ((pattern == null || Glob.matches(pattern, e.key(), false)) && (type == null || type.equals("string"))) {
                keys.add(bulk(e.key()));
            }
        }
        List<Entry> got = page.entries();
        String next = !page.more() || got.isEmpty() ? "0" : cursor(got.get(got.size() - 1).key());
        return new ArrayRedisMessage(List.of(ascii(next), new ArrayRedisMessage(keys)));
    }

    /** @return the cursor for a key: the number whose bytes are 0x01 and the key's (never 0) */
    static String cursor(byte[] key) {
        byte[] b = new byte[key.length + 1];
        b[0] = 1;
        System.arraycopy(key, 0, b, 1, key.length);
        return new BigInteger(1, b).toString();
    }

    /** @return the key a cursor stands for, or {@code null} for 0 (the start) */
    static byte[] cursorKey(byte[] cursor) {
        String c = new String(cursor, StandardCharsets.US_ASCII);
        if (!c.matches("[0-9]{1,3000}")) {
            throw new IllegalArgumentException("invalid cursor");
        }
        BigInteger n = new BigInteger(c);
        if (n.signum() == 0) {
            return null;
        }
        byte[] b = n.toByteArray();
        int start = b[0] == 0 ? 1 : 0; // a sign byte
        if (b.length - start < 1 || b[start] != 1) {
            throw new IllegalArgumentException("invalid cursor");
        }
        return Arrays.copyOfRange(b, start + 1, b.length);
    }
}
