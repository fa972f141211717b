package io.pequod.server.query;

import io.pequod.schemas.WritePosition;
import io.pequod.views.ViewCatalog;
import io.pequod.views.ViewEngine;
import io.pequod.views.progress.AppliedOffsets;

import java.util.Collection;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Read-your-writes: write tokens ({@code topic:partition:offset}) that reads wait for, the writes
 * this instance made (so that Redis clients, and HTTP clients that ask, read every write made
 * through it), and whether the views may not reflect them yet.
 */
final class Freshness {
    private final ViewEngine engine;
    private final QueryLimits limits;
    /** Highest offset this instance wrote, by table topic and partition. */
    private final Map<String, Map<Integer, Long>> written = new ConcurrentHashMap<>();
    /** Grows with every write through this instance, once it is acknowledged. */
    private final AtomicLong writes = new AtomicLong();
    /** {@link #writes} when the latest successful cluster-wide settle began: views reflect those writes. */
    private final AtomicLong settledWrites = new AtomicLong();

    Freshness(ViewEngine engine, QueryLimits limits) {
        this.engine = engine;
        this.limits = limits;
    }

    /** Counts an acknowledged write through this instance. @param p its position */
    void wrote(WritePosition p) {
        written.computeIfAbsent(p.topic(), t -> new ConcurrentHashMap<>()).merge(p.partition(), p.offset(), Math::max);
        writes.incrementAndGet();
    }

    /** Counts a write through this instance that another instance applied. */
    void wroteElsewhere() {
        writes.incrementAndGet();
    }

    /** @return the count of writes so far, to pass to {@link #settled} when a settle that began now succeeds */
    long writesSoFar() {
        return writes.get();
    }

    /** @param seen {@link #writesSoFar} when a successful cluster-wide settle began */
    void settled(long seen) {
        settledWrites.accumulateAndGet(seen, Math::max);
    }

    /** @return whether some write through this instance may not be reflected by the views yet */
    boolean viewsMayLag() {
        return writes.get() > settledWrites.get();
    }

    /** @return the highest offset this instance wrote to a partition, or {@code null} */
    Long writtenOffset(String topic, int partition) {
        Map<Integer, Long> w = written.get(topic);
        return w == null ? null : w.get(partition);
    }

    /**
     * @return tokens of the latest writes this instance made to the table (comma-separated), or
     * {@code null}; for a view, those of every table it wrote while the views may lag
     */
    String writtenTokens(ViewCatalog c, String table) {
        if (c.isView(table)) {
            if (!viewsMayLag()) {
                return null;
            }
            StringBuilder sb = new StringBuilder();
            written.forEach((topic, m) -> append(sb, topic, m));
            return sb.length() == 0 ? null : sb.toString();
        }
        String topic = c.topics().tableTopic(table);
        Map<Integer, Long> m = written.get(topic);
        if (m == null || m.isEmpty()) {
            return null;
        }
        StringBuilder sb = new StringBuilder();
        append(sb, topic, m);
        return sb.toString();
    }

    private static void append(StringBuilder sb, String topic, Map<Integer, Long> m) {
        m.forEach((part, off) -> sb.append(sb.length() == 0 ? "" : ",").append(topic).append(':').append(part).append(':').append(off));
    }

    /**
     * The catalog, once it materializes {@code table} if a token says the reader wrote to it: the
     * first writes to a new table are readable as soon as the tables application has picked it up.
     */
    ViewCatalog awaitTable(String table, String after) {
        ViewCatalog c = engine.catalog();
        if (c.isQueryable(table) || after == null || !after.contains(c.topics().tableTopic(table) + ":")) {
            return c;
        }
        engine.refreshTables();
        long deadline = System.nanoTime() + limits.maxWait().toNanos();
        while (System.nanoTime() < deadline) {
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
            c = engine.catalog();
            if (c.isQueryable(table)) {
                return c;
            }
        }
        throw QueryException.unavailable("table " + table + " is new and not materialized yet; retry in a few seconds");
    }

    /** @throws QueryException naming a token that is not {@code topic:partition:offset} */
    static void checkTokens(String after) {
        if (after == null || after.isBlank()) {
            return;
        }
        for (String t : after.split(",")) {
            parse(t);
        }
    }

    private static WritePosition parse(String token) {
        try {
            return WritePosition.parse(token.trim());
        } catch (IllegalArgumentException e) {
            throw QueryException.badRequest(e.getMessage());
        }
    }

    /** Waits until this instance's store of a table applied the tokens' writes to the given partitions. */
    void awaitTokens(ViewCatalog c, String table, Collection<Integer> partitions, String after) {
        if (after == null || after.isBlank()) {
            return;
        }
        String topic = c.topics().tableTopic(table);
        for (String t : after.split(",")) {
            WritePosition pos = parse(t);
            if (pos.topic().equals(topic) && partitions.contains(pos.partition())) {
                awaitApplied(c, table, pos);
            }
        }
    }

    private void awaitApplied(ViewCatalog c, String table, WritePosition pos) {
        AppliedOffsets offsets = engine.progress().offsets();
        CompletableFuture<Long> f = offsets.awaitApplied(pos.topic(), pos.partition(), pos.offset());
        try {
            f.get(limits.maxWait().toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            f.cancel(false);
            long applied = offsets.appliedOffset(pos.topic(), pos.partition());
            throw new QueryException(Failure.Kind.UNAVAILABLE, "not yet applied", "store " + c.storeName(table) + " partition "
                    + pos.partition() + " has applied offset " + applied + "; the write is at offset " + pos.offset() + " ("
                    + (pos.offset() - applied) + " behind) after waiting " + limits.maxWait().toMillis() + " ms");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw QueryException.unavailable("interrupted");
        } catch (ExecutionException e) {
            throw QueryException.unavailable(e.getCause().toString());
        }
    }
}
