package io.pequod.server.query;

import io.pequod.schemas.Expiry;
import io.pequod.schemas.Key;
import io.pequod.schemas.WritePosition;
import io.pequod.schemas.avro.Operation;
import io.pequod.views.ViewCatalog;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.function.Predicate;

/**
 * The key-value commands shared by the Redis and memento front ends: reads see every write made
 * through this instance (a read waits until this instance's latest write to that partition is
 * applied, so a connection always reads its own writes, and so do other connections), and
 * read-modify-write commands answer the value their own change made. One per connection.
 */
public final class Commands {
    private final QueryService service;

    /** @param service the query service */
    public Commands(QueryService service) {
        this.service = service;
    }

    /** @return the value, or empty */
    public Optional<byte[]> get(byte[] key) {
        return service.get(key, QueryService.INSTANCE_WRITES, false, new ReadNote());
    }

    /** Sets a key. */
    public void set(byte[] key, byte[] value) {
        service.put(key, value);
    }

    /** Sets a key; @return completed once Kafka acknowledged the write (failed with a {@link QueryException} otherwise) */
    public CompletableFuture<WritePosition> setAsync(byte[] key, byte[] value) {
        return service.writeAsync(key, value);
    }

    /** @return whether the key existed (it is erased either way) */
    public boolean delete(byte[] key) {
        return join(deleteAsync(List.of(key))) == 1;
    }

    /**
     * Reads the keys (waiting for this instance's writes), then erases those that exist without
     * waiting for the broker. @return how many existed, once their erases are acknowledged
     */
    public CompletableFuture<Long> deleteAsync(List<byte[]> keys) {
        List<CompletableFuture<WritePosition>> erases = new ArrayList<>();
        for (byte[] k : keys) {
            if (get(k).isPresent()) {
                erases.add(service.writeAsync(k, null));
            }
        }
        return CompletableFuture.allOf(erases.toArray(CompletableFuture[]::new)).thenApply(x -> (long) erases.size());
    }

    /** @return the value after adding {@code amount} (integer) */
    public long incrementBy(byte[] key, long amount) {
        return join(incrementByAsync(key, amount));
    }

    /** @return the value after adding {@code amount} (integer), once the key's owner applied it */
    public CompletableFuture<Long> incrementByAsync(byte[] key, long amount) {
        return rmw(key, Operation.INCR, Long.toString(amount)).thenApply(v -> Long.parseLong(new String(v, StandardCharsets.US_ASCII)));
    }

    /** @return the value after adding {@code amount} (decimal) */
    public String incrementByFloat(byte[] key, String amount) {
        return join(incrementByFloatAsync(key, amount));
    }

    /** @return the value after adding {@code amount} (decimal), once the key's owner applied it */
    public CompletableFuture<String> incrementByFloatAsync(byte[] key, String amount) {
        return rmw(key, Operation.INCRF, amount).thenApply(v -> new String(v, StandardCharsets.US_ASCII));
    }

    /** @return the value after appending */
    public byte[] append(byte[] key, byte[] value) {
        return join(concatAsync(key, Operation.APPEND, value));
    }

    /** @return the value after prepending */
    public byte[] prepend(byte[] key, byte[] value) {
        return join(concatAsync(key, Operation.PREPEND, value));
    }

    /** @param op APPEND or PREPEND @return the value after the change, once the key's owner applied it */
    public CompletableFuture<byte[]> concatAsync(byte[] key, Operation op, byte[] value) {
        return service.readModifyWrite(key, op, value).thenApply(v -> v.orElse(new byte[0]));
    }

    /** @return the range's entries */
    public ScanResult scan(byte[] first, byte[] last, Integer limit) {
        return service.scan(first, last, limit, QueryService.INSTANCE_WRITES, false, new ReadNote());
    }

    /** @return the number of keys in the range */
    public long count(byte[] first, byte[] last) {
        return service.count(first, last, QueryService.INSTANCE_WRITES, false, new ReadNote());
    }

    /**
     * Applies a change the key's owner answers ({@code Changes.answer}): the old value for the
     * conditional PUTs and {@code ERASE_GET}, the old bit for {@code SETBIT}, the new value otherwise.
     *
     * @return the answer ({@code empty}: absent), once the key's owner applied the change
     */
    public CompletableFuture<Optional<byte[]>> changeAsync(byte[] key, Operation op, byte[] value) {
        return service.readModifyWrite(key, op, value);
    }

    /** {@link #changeAsync(byte[], Operation, byte[])} that also sets, keeps or drops the key's expiry. */
    public CompletableFuture<Optional<byte[]>> changeAsync(byte[] key, Operation op, byte[] value, Expiry expiry) {
        return service.readModifyWrite(key, op, value, expiry);
    }

    /** @return the key's value and expiry, or empty if absent or expired (reads see this instance's writes) */
    public Optional<Stored> getStored(byte[] key) {
        return service.getStored(key);
    }

    /**
     * @return the tables users write (the default table {@value Key#DEFAULT_TABLE} and every other
     *     materialized table that is neither a view nor fed by a source), in name order
     */
    public List<String> userTables() {
        ViewCatalog c = service.catalog();
        Set<String> sources = c.spec().sourceTables();
        List<String> out = new ArrayList<>();
        for (String t : new TreeSet<>(c.tables())) {
            if (!c.isView(t) && !sources.contains(t)) {
                out.add(t);
            }
        }
        return out;
    }

    /**
     * Visits every key of the users' tables ({@link #userTables}), table by table in key order,
     * across all instances; reads see this instance's writes.
     *
     * @param visitor told each entry; returns {@code false} to stop
     */
    public void forEachKey(Predicate<Entry> visitor) {
        for (String t : userTables()) {
            byte[] from = first(t);
            byte[] end = end(t);
            ScanResult r;
            do {
                r = service.scan(from, end, service.limits().maxScanLimit(), QueryService.INSTANCE_WRITES, false, new ReadNote());
                for (Entry e : r.entries()) {
                    if (!visitor.test(e)) {
                        return;
                    }
                }
                if (!r.entries().isEmpty()) {
                    byte[] last = r.entries().get(r.entries().size() - 1).key();
                    from = Arrays.copyOf(last, last.length + 1);
                }
            } while (r.more());
        }
    }

    /**
     * One page of the users' keys in a fixed order (table by table, in key order within each):
     * {@code SCAN}'s cursor is the last key of a page, so it needs no state here and survives
     * rebalances and a change of instance.
     *
     * @param after the last key of the previous page, or {@code null} to start
     * @param count how many keys at most
     * @return the keys, and whether more may follow
     */
    public ScanResult keysAfter(byte[] after, int count) {
        List<String> tables = userTables();
        int t = after == null ? 0 : tables.indexOf(Key.tableOf(after));
        if (t < 0) {
            t = -Collections.binarySearch(tables, Key.tableOf(after)) - 1; // its table is gone: the next one
            after = null;
        }
        List<Entry> out = new ArrayList<>();
        for (; t < tables.size() && out.size() < count; t++, after = null) {
            byte[] from = after == null ? first(tables.get(t)) : Arrays.copyOf(after, after.length + 1);
            ScanResult r = service.scan(from, end(tables.get(t)), count - out.size(), QueryService.INSTANCE_WRITES, false,
                    new ReadNote());
            out.addAll(r.entries());
            if (r.more()) {
                return new ScanResult(out, true);
            }
        }
        return new ScanResult(out, t < tables.size());
    }

    /** @return the number of keys in the users' tables ({@link #userTables}), across all instances */
    public long keyCount() {
        return keyCount(false);
    }

    /** @return the number of those keys that have an expiry, across all instances */
    public long expiringKeyCount() {
        return keyCount(true);
    }

    private long keyCount(boolean expiring) {
        long n = 0;
        for (String t : userTables()) {
            n += service.count(first(t), end(t), QueryService.INSTANCE_WRITES, false, expiring, new ReadNote());
        }
        return n;
    }

    /**
     * Erases every key of the users' tables ({@link #userTables}): Redis' {@code FLUSHALL} and
     * memento's {@code FLUSH}. Views and source-fed tables are left alone (their joins and sources
     * write them). Each erase is a tombstone in the table's topic; not atomic.
     *
     * @return the number of keys erased
     */
    public long flush() {
        List<byte[]> keys = new ArrayList<>();
        forEachKey(e -> keys.add(e.key()));
        List<CompletableFuture<WritePosition>> erases = new ArrayList<>();
        keys.forEach(k -> erases.add(service.writeAsync(k, null)));
        join(CompletableFuture.allOf(erases.toArray(CompletableFuture[]::new)));
        return keys.size();
    }

    /** @return the first key a table can hold */
    private static byte[] first(String table) {
        return Key.DEFAULT_TABLE.equals(table) ? new byte[] {0x00} : (table + "|").getBytes(StandardCharsets.UTF_8);
    }

    /** @return the key after the last a table can hold */
    private static byte[] end(String table) {
        return Key.DEFAULT_TABLE.equals(table) ? new byte[] {(byte) 0xFF} : (table + "}").getBytes(StandardCharsets.UTF_8);
    }

    private CompletableFuture<byte[]> rmw(byte[] key, Operation op, String amount) {
        return service.readModifyWrite(key, op, amount.getBytes(StandardCharsets.US_ASCII))
                .thenApply(v -> v.orElse("0".getBytes(StandardCharsets.US_ASCII)));
    }

    /** @return the future's value; its failure thrown as it was raised (a {@link QueryException}, say) */
    private static <T> T join(CompletableFuture<T> f) {
        try {
            return f.join();
        } catch (CompletionException e) {
            throw e.getCause() instanceof RuntimeException r ? r : e;
        }
    }
}
