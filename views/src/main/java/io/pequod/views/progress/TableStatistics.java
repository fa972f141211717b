package io.pequod.views.progress;

import org.HdrHistogram.ConcurrentHistogram;
import org.HdrHistogram.Histogram;

import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/**
 * What each table topic's records did on this instance: records applied, derived records caused,
 * and write-to-visible latencies. Updated on stream threads. Thread-safe.
 */
public final class TableStatistics {
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
     * @param recentLatency  the same for the records applied in the last {@value #RECENT_SECONDS} seconds (a live
     *                       chart's points; whole seconds of the clock, so 9 to 10 s)
     */
    public record TableStats(long recordsIn, long recordsOut, Histogram visibleLatency, Histogram recentLatency) {
    }

    /** How far back {@link TableStats#recentLatency()} looks. */
    public static final int RECENT_SECONDS = 10;

    /** One second's latencies: recorded wait-free on stream threads; retired into the total when its slot is reused. */
    private static final class Second {
        private volatile long second = -1;
        private final ConcurrentHistogram latency = new ConcurrentHistogram(2);
    }

    /**
     * One topic's figures. Each latency is recorded once, in the slot of its second; the total is
     * the retired slots plus the live ones, so a record costs one wait-free recording on the stream
     * thread, and retiring (once a second per slot) and reading share the topic's lock.
     */
    private static final class TopicStats {
        private final LongAdder in = new LongAdder();
        private final LongAdder out = new LongAdder();
        private final Histogram retired = new Histogram(2);
        private final Second[] seconds = new Second[RECENT_SECONDS];

        private TopicStats() {
            for (int i = 0; i < seconds.length; i++) {
                seconds[i] = new Second();
            }
        }

        private void record(long nowMs, long latencyMs) {
            long sec = nowMs / 1000;
            Second slot = seconds[(int) (sec % RECENT_SECONDS)];
            if (slot.second != sec) {
                synchronized (this) {
                    if (slot.second != sec) {
                        retired.add(slot.latency.copy());
                        slot.latency.reset();
                        slot.second = sec;
                    }
                }
            }
            slot.latency.recordValue(latencyMs);
        }

        /** @return {total since start, the last {@value #RECENT_SECONDS} seconds} */
        private synchronized Histogram[] read(long nowMs) {
            Histogram total = retired.copy();
            Histogram recent = new Histogram(2);
            for (Second slot : seconds) {
                Histogram h = slot.latency.copy();
                total.add(h);
                if (slot.second > nowMs / 1000 - RECENT_SECONDS) {
                    recent.add(h);
                }
            }
            return new Histogram[] {total, recent};
        }
    }

    private final Map<String, TopicStats> stats = new ConcurrentHashMap<>();
    private final java.util.function.LongSupplier clock;

    /** Statistics on the wall clock. */
    public TableStatistics() {
        this(System::currentTimeMillis);
    }

    /** @param clock the time in ms, for latencies and the recent window */
    TableStatistics(java.util.function.LongSupplier clock) {
        this.clock = clock;
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
    void visible(String topic, long timestampMs, String originTopic) {
        TopicStats s = stats(topic);
        s.in.increment();
        if (timestampMs > 0) {
            long now = clock.getAsLong();
            s.record(now, Math.max(0, now - timestampMs));
        }
        if (originTopic != null && !originTopic.equals(topic)) {
            stats(originTopic).out.increment();
        }
    }

    /** @return per table topic, what its records did on this instance since it started */
    public Map<String, TableStats> tableStats() {
        Map<String, TableStats> out = new TreeMap<>();
        stats.forEach((topic, s) -> {
            Histogram[] h = s.read(clock.getAsLong());
            out.put(topic, new TableStats(s.in.sum(), s.out.sum(), h[0], h[1]));
        });
        return out;
    }
}
