package io.pequod.views.internals.processor;

import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.state.KeyValueStore;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The queryable table stores of the tasks running on this instance, by store name and partition,
 * registered by their processors while their task runs (between {@code init} and {@code close},
 * that is after restoration and before the task is suspended or closed). The query side reads
 * them directly: the same store objects Interactive Queries hands out, without looking them up
 * through the Streams threads on every read. A store that closes under a reader throws
 * {@link org.apache.kafka.streams.errors.InvalidStateStoreException}, as through Interactive Queries.
 */
public final class LiveStores {
    private final Map<String, Map<Integer, KeyValueStore<Bytes, byte[]>>> stores = new ConcurrentHashMap<>();

    /**
     * @param store     store name
     * @param partition the task's partition
     * @param s         the store, as the processor sees it
     */
    public void add(String store, int partition, KeyValueStore<Bytes, byte[]> s) {
        stores.computeIfAbsent(store, x -> new ConcurrentHashMap<>()).put(partition, s);
    }

    /**
     * @param store     store name
     * @param partition the task's partition
     * @param s         the store that was added (a newer registration stays)
     */
    public void remove(String store, int partition, KeyValueStore<Bytes, byte[]> s) {
        Map<Integer, KeyValueStore<Bytes, byte[]>> m = stores.get(store);
        if (m != null) {
            m.remove(partition, s);
        }
    }

    /**
     * @param store     store name
     * @param partition partition
     * @return the running store, or {@code null} if no task of this instance runs it now
     */
    public KeyValueStore<Bytes, byte[]> get(String store, int partition) {
        Map<Integer, KeyValueStore<Bytes, byte[]>> m = stores.get(store);
        return m == null ? null : m.get(partition);
    }
}
