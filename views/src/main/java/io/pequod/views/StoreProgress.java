package io.pequod.views;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * How far this instance's table stores have applied their topics, for read-your-writes: a reader
 * holding a write's position waits on {@link #awaitApplied} before reading. Also completes the
 * result of a read-modify-write by request id ({@link #awaitResult}), so that {@code INCR}
 * answers the value its own change produced. Called on stream threads; cheap and non-blocking.
 * Thread-safe.
 */
public final class StoreProgress {
    /** One applied record, for listeners. */
    public record Applied(String topic, int partition, long offset, byte[] key, byte[] value, long nanoTime) {
    }

    private final Map<String, Partition> partitions = new ConcurrentHashMap<>();
    private final Map<String, CompletableFuture<byte[]>> results = new ConcurrentHashMap<>();
    private final List<java.util.function.Consumer<Applied>> listeners = new CopyOnWriteArrayList<>();
    private final Map<String, TopicStats> stats = new ConcurrentHashMap<>();
    private final java.util.concurrent.atomic.AtomicLong commitRequests = new java.util.concurrent.atomic.AtomicLong();

    /**
     * Asks every application to commit soon (within a few milliseconds) rather than at its commit
     * interval: a commit flushes what the tasks produced and records what they consumed, which is
     * what {@code awaitSettled} waits for under exactly-once (only then do the source processors
     * listen for requests; at least once it needs no commit).
     */
    public void requestCommit() {
        commitRequests.incrementAndGet();
    }

    /** @return the number of commit requests so far; a task that sees it grow commits */
    public java.util.concurrent.atomic.AtomicLong commitRequests() {
        return commitRequests;
    }

    /**
     * What one table topic's records did on this instance: how many were applied to its store,
     * how many derived records they caused in views (counted when those are applied), and how
     * long records took from being written to being visible in the store, from the record
     * timestamp (for a derived record: the timestamp of the write that caused it) to the moment it
     * was applied, in milliseconds.
     *
     * @param recordsIn      records of this topic applied to its store
     * @param recordsOut     derived records, applied to view stores, that writes to this topic caused
     * @param visibleLatency write-to-visible latency of the records applied to this topic's store (a copy)
     */
    public record TableStats(long recordsIn, long recordsOut, org.HdrHistogram.Histogram visibleLatency) {
    }

    private static final class TopicStats {
        private final java.util.concurrent.atomic.LongAdder in = new java.util.concurrent.atomic.LongAdder();
        private final java.util.concurrent.atomic.LongAdder out = new java.util.concurrent.atomic.LongAdder();
        private final org.HdrHistogram.Recorder latency = new org.HdrHistogram.Recorder(2);
        private final org.HdrHistogram.Histogram total = new org.HdrHistogram.Histogram(2);
    }

    private TopicStats stats(String topic) {
        TopicStats s = stats.get(topic);
        return s != null ? s : stats.computeIfAbsent(topic, t -> new TopicStats());
    }

    /**
     * Counts one applied record and its write-to-visible latency.
     *
     * @param topic       the table topic whose store applied it
     * @param timestampMs the record's timestamp (the originating write's, for derived records)
     * @param originTopic the topic of the write that caused it, if it is a derived record, else {@code null}
     */
    public void visible(String topic, long timestampMs, String originTopic) {
        TopicStats s = stats(topic);
        s.in.increment();
        if (timestampMs > 0) {
            s.latency.recordValue(Math.max(0, System.currentTimeMillis() - timestampMs));
        }
        if (originTopic != null && !originTopic.equals(topic)) {
            stats(originTopic).out.increment();
        }
    }

    /** @return per table topic, what its records did on this instance since it started */
    public Map<String, TableStats> tableStats() {
        Map<String, TableStats> out = new java.util.TreeMap<>();
        stats.forEach((topic, s) -> {
            org.HdrHistogram.Histogram copy;
            synchronized (s) {
                s.total.add(s.latency.getIntervalHistogram());
                copy = s.total.copy();
            }
            out.put(topic, new TableStats(s.in.sum(), s.out.sum(), copy));
        });
        return out;
    }

    private static final class Partition {
        private long applied = -1;
        private final NavigableMap<Long, List<CompletableFuture<Long>>> waiters = new TreeMap<>();
    }

    private Partition partition(String topic, int partition) {
        return partitions.computeIfAbsent(topic + ":" + partition, k -> new Partition());
    }

    /**
     * Records that a table store applied a record.
     *
     * @param topic     the table topic
     * @param partition its partition
     * @param offset    the record's offset
     * @param key       the key
     * @param value     the key's value after the record ({@code null} if absent)
     * @param requestId the change's request id, or {@code null}
     * @param rejection why the record was rejected (sent to dead letters), or {@code null}
     */
    public void applied(String topic, int partition, long offset, byte[] key, byte[] value, String requestId, String rejection) {
        Partition p = partition(topic, partition);
        List<CompletableFuture<Long>> done = null;
        synchronized (p) {
            if (offset > p.applied) {
                p.applied = offset;
            }
            if (!p.waiters.isEmpty()) {
                NavigableMap<Long, List<CompletableFuture<Long>>> ready = p.waiters.headMap(offset, true);
                done = new ArrayList<>();
                for (List<CompletableFuture<Long>> l : ready.values()) {
                    done.addAll(l);
                }
                ready.clear();
            }
        }
        if (done != null) {
            done.forEach(f -> f.complete(offset));
        }
        if (requestId != null) {
            CompletableFuture<byte[]> r = results.remove(requestId);
            if (r != null) {
                if (rejection != null) {
                    r.completeExceptionally(new io.pequod.schemas.InvalidValueException(rejection.replaceFirst("^Invalid value: ", "")));
                } else {
                    r.complete(value);
                }
            }
        }
        if (!listeners.isEmpty()) {
            Applied a = new Applied(topic, partition, offset, key, value, System.nanoTime());
            listeners.forEach(l -> l.accept(a));
        }
    }

    /**
     * @param topic     a table topic
     * @param partition a partition
     * @return the highest offset applied by this instance, or -1
     */
    public long appliedOffset(String topic, int partition) {
        Partition p = partitions.get(topic + ":" + partition);
        if (p == null) {
            return -1;
        }
        synchronized (p) {
            return p.applied;
        }
    }

    /**
     * @param topic     a table topic
     * @param partition a partition
     * @param offset    a write's offset
     * @return completed (with the applied offset) once this instance's store has applied it; the
     * caller bounds the wait. Complete it exceptionally or cancel it to stop waiting.
     */
    public CompletableFuture<Long> awaitApplied(String topic, int partition, long offset) {
        Partition p = partition(topic, partition);
        synchronized (p) {
            if (p.applied >= offset) {
                return CompletableFuture.completedFuture(p.applied);
            }
            CompletableFuture<Long> f = new CompletableFuture<>();
            p.waiters.computeIfAbsent(offset, o -> new ArrayList<>()).add(f);
            f.whenComplete((v, e) -> {
                if (e != null) {
                    synchronized (p) {
                        List<CompletableFuture<Long>> l = p.waiters.get(offset);
                        if (l != null) {
                            l.remove(f);
                            if (l.isEmpty()) {
                                p.waiters.remove(offset);
                            }
                        }
                    }
                }
            });
            return f;
        }
    }

    /**
     * Registers interest in the value a change with this request id produces. Register before writing.
     *
     * @param requestId the change's request id
     * @return completed with the key's value after the change ({@code null} if absent), or
     * exceptionally with {@link io.pequod.schemas.InvalidValueException} if the change was rejected
     */
    public CompletableFuture<byte[]> awaitResult(String requestId) {
        CompletableFuture<byte[]> f = new CompletableFuture<>();
        results.put(requestId, f);
        f.whenComplete((v, e) -> results.remove(requestId, f));
        return f;
    }

    /** @param listener called on the stream thread for every applied record; must not block */
    public void addListener(java.util.function.Consumer<Applied> listener) {
        listeners.add(listener);
    }

    /** @param listener a listener added before */
    public void removeListener(java.util.function.Consumer<Applied> listener) {
        listeners.remove(listener);
    }
}
