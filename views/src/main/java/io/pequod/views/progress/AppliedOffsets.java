package io.pequod.views.progress;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;

/**
 * How far this instance's table stores have applied their topics, for read-your-writes: a reader
 * holding a write's position waits on {@link #awaitApplied} before reading. Updated on stream
 * threads; cheap and non-blocking. Thread-safe.
 */
public final class AppliedOffsets {
    private final Map<String, Partition> partitions = new ConcurrentHashMap<>();

    private static final class Partition {
        private long applied = -1;
        private final NavigableMap<Long, List<CompletableFuture<Long>>> waiters = new TreeMap<>();
    }

    private Partition partition(String topic, int partition) {
        return partitions.computeIfAbsent(topic + ":" + partition, k -> new Partition());
    }

    /**
     * Records that a table store applied a record, completing the waits it satisfies.
     *
     * @param topic     the table topic
     * @param partition its partition
     * @param offset    the record's offset
     */
    void applied(String topic, int partition, long offset) {
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
                    forget(p, offset, f);
                }
            });
            return f;
        }
    }

    private static void forget(Partition p, long offset, CompletableFuture<Long> f) {
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
}
