package io.pequod.views.internals.engine;

import io.pequod.schemas.PequodException;
import io.pequod.views.internals.compile.TopologyFactory;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.LagInfo;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * How far a copy of a table's store here (a standby, or a task restoring) may be behind, for the
 * answers it gives as possibly stale: the writes to the table that its tables application had not
 * committed (a dead owner applied them or not; nobody knows), plus the changelog records this copy
 * has not restored. An estimate, measured at most every half second per table (three admin calls).
 */
public final class CopyLags {
    private static final long TTL_NANOS = 500_000_000L;

    private final EngineParts parts;
    private final TableLayout layout;
    private final Map<String, Snapshot> cache = new ConcurrentHashMap<>();

    private record Snapshot(long atNanos, Map<Integer, Long> byPartition) {
    }

    CopyLags(EngineParts parts, TableLayout layout) {
        this.parts = parts;
        this.layout = layout;
    }

    /**
     * @param table     a table
     * @param partition one of its partitions
     * @return how many records the copy here may miss, or -1 if that cannot be told now
     */
    public long lag(String table, int partition) {
        long now = System.nanoTime();
        Snapshot s = cache.get(table);
        if (s == null || now - s.atNanos() > TTL_NANOS) {
            s = new Snapshot(now, measure(table));
            cache.put(table, s);
        }
        return s.byPartition().getOrDefault(partition, -1L);
    }

    private Map<Integer, Long> measure(String table) {
        Map<Integer, Long> out = new HashMap<>();
        try {
            Map<TopicPartition, Long> ends = parts.admin().endOffsets(List.of(parts.topics().tableTopic(table)));
            Map<TopicPartition, Long> committed = parts.admin().committed(layout.applicationOf(table));
            ends.forEach((tp, end) -> out.put(tp.partition(), Math.max(0, end - committed.getOrDefault(tp, 0L))));
        } catch (PequodException unreachable) {
            return out; // unknown
        }
        KafkaStreams ks = layout.streamsOf(table);
        try {
            Map<Integer, LagInfo> lags = ks == null ? null : ks.allLocalStorePartitionLags().get(TopologyFactory.tableStore(table));
            if (lags != null) {
                lags.forEach((p, l) -> out.computeIfPresent(p, (x, v) -> v + Math.max(0, l.offsetLag())));
            }
        } catch (RuntimeException notNow) {
            // rebalancing: the table part alone
        }
        return out;
    }
}
