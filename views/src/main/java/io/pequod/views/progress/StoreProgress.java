package io.pequod.views.progress;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;

/**
 * Where the tables application's processors report each record they applied; it passes the
 * report on to those who follow it: {@link #offsets()} (read-your-writes), {@link #results()}
 * (read-modify-write answers), {@link #statistics()} (records and latencies per table) and the
 * listeners (benchmarks). Called on stream threads; cheap and non-blocking. Thread-safe.
 */
public final class StoreProgress {
    /** One applied record, for listeners. */
    public record Applied(String topic, int partition, long offset, byte[] key, byte[] value, long nanoTime) {
    }

    private final AppliedOffsets offsets = new AppliedOffsets();
    private final ChangeResults results = new ChangeResults();
    private final TableStatistics statistics = new TableStatistics();
    private final List<Consumer<Applied>> listeners = new CopyOnWriteArrayList<>();

    /** @return how far this instance's table stores have applied their topics */
    public AppliedOffsets offsets() {
        return offsets;
    }

    /** @return the results of read-modify-write changes */
    public ChangeResults results() {
        return results;
    }

    /** @return records and write-to-visible latencies per table */
    public TableStatistics statistics() {
        return statistics;
    }

    /**
     * Records that a table store applied a record.
     *
     * @param topic     the table topic
     * @param partition its partition
     * @param offset    the record's offset
     * @param key       the key
     * @param value     the key's value after the record ({@code null} if absent)
     * @param answer    what the change's writer is told ({@code Changes.answer}; {@code null}: absent)
     * @param requestId the change's request id, or {@code null}
     * @param rejection why the record was rejected (sent to dead letters), or {@code null}
     */
    public void applied(String topic, int partition, long offset, byte[] key, byte[] value, byte[] answer, String requestId,
                        String rejection) {
        offsets.applied(topic, partition, offset);
        if (requestId != null) {
            results.complete(requestId, answer, rejection);
        }
        if (!listeners.isEmpty()) {
            Applied a = new Applied(topic, partition, offset, key, value, System.nanoTime());
            listeners.forEach(l -> l.accept(a));
        }
    }

    /**
     * Counts one record made visible and its write-to-visible latency.
     *
     * @param topic       the table topic whose store applied it
     * @param timestampMs the record's timestamp (the originating write's, for derived records)
     * @param originTopic the topic of the write that caused it, if it is a derived record, else {@code null}
     */
    public void visible(String topic, long timestampMs, String originTopic) {
        statistics.visible(topic, timestampMs, originTopic);
    }

    /** @param listener called on the stream thread for every applied record; must not block */
    public void addListener(Consumer<Applied> listener) {
        listeners.add(listener);
    }

    /** @param listener a listener added before */
    public void removeListener(Consumer<Applied> listener) {
        listeners.remove(listener);
    }
}
