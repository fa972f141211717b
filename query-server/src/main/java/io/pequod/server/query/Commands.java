package io.pequod.server.query;

import io.pequod.schemas.Key;
import io.pequod.schemas.WritePosition;
import io.pequod.schemas.avro.Operation;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

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
     * Erases every key of the default table ({@value Key#DEFAULT_TABLE}: keys without '|'), as
     * memento's FLUSH does. Other tables are left alone.
     *
     * @return the number of keys erased
     */
    public long flush() {
        long n = 0;
        byte[] from = {0x00};
        byte[] end = {(byte) 0xFF};
        ScanResult r;
        do {
            r = service.scan(from, end, service.limits().maxScanLimit(), QueryService.INSTANCE_WRITES, false, new ReadNote());
            for (Entry e : r.entries()) {
                service.erase(e.key());
                n++;
            }
            if (!r.entries().isEmpty()) {
                byte[] last = r.entries().get(r.entries().size() - 1).key();
                from = Arrays.copyOf(last, last.length + 1);
            }
        } while (r.more());
        return n;
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
