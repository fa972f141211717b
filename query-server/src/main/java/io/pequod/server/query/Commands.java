package io.pequod.server.query;

import io.pequod.schemas.Key;
import io.pequod.schemas.avro.Operation;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Optional;

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

    /** @return whether the key existed (it is erased either way) */
    public boolean delete(byte[] key) {
        boolean existed = get(key).isPresent();
        if (existed) {
            service.erase(key);
        }
        return existed;
    }

    /** @return the value after adding {@code amount} (integer) */
    public long incrementBy(byte[] key, long amount) {
        byte[] v = rmw(key, Operation.INCR, Long.toString(amount));
        return Long.parseLong(new String(v, StandardCharsets.US_ASCII));
    }

    /** @return the value after adding {@code amount} (decimal) */
    public String incrementByFloat(byte[] key, String amount) {
        return new String(rmw(key, Operation.INCRF, amount), StandardCharsets.US_ASCII);
    }

    /** @return the value after appending */
    public byte[] append(byte[] key, byte[] value) {
        return service.readModifyWrite(key, Operation.APPEND, value).orElse(new byte[0]);
    }

    /** @return the value after prepending */
    public byte[] prepend(byte[] key, byte[] value) {
        return service.readModifyWrite(key, Operation.PREPEND, value).orElse(new byte[0]);
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

    private byte[] rmw(byte[] key, Operation op, String amount) {
        return service.readModifyWrite(key, op, amount.getBytes(StandardCharsets.US_ASCII)).orElse("0".getBytes());
    }
}
