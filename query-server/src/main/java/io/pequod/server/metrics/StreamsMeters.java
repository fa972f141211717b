package io.pequod.server.metrics;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import org.apache.kafka.common.Metric;
import org.apache.kafka.common.MetricName;

import java.util.HashMap;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Supplier;

/**
 * Kafka Streams' own metrics, summed over this instance's applications and read once per scrape
 * ({@link #refresh}): rebalances and the records the restore consumers read from changelogs (as
 * counters that only grow, although a client's metrics start from 0 again when it is replaced),
 * tasks restoring and the records they still have to restore, and RocksDB's memory (memtables,
 * table readers, block caches: every store has a block cache of its own, so their sum is the
 * total). All of them are recorded at Streams' default {@code INFO} level; the task-level
 * {@code restore-total} is not ({@code DEBUG}), hence the restore consumers' count, which also
 * includes the records that keep standby copies up to date.
 */
final class StreamsMeters {
    /** RocksDB memory properties (KIP-607) and the {@code kind} label each is exported with. */
    static final Map<String, String> ROCKSDB_MEMORY = Map.of("size-all-mem-tables", "memtables",
            "estimate-table-readers-mem", "table_readers", "block-cache-usage", "block_cache");

    private final Supplier<Map<String, Map<MetricName, ? extends Metric>>> source;
    private final Map<String, Double> lastCumulative = new HashMap<>();
    private final Map<String, Double> values = new HashMap<>();
    private double rebalances;
    private double restored;

    /**
     * @param source   each application's metrics, by application id
     * @param registry where to register the meters
     */
    StreamsMeters(Supplier<Map<String, Map<MetricName, ? extends Metric>>> source, MeterRegistry registry) {
        this.source = source;
        FunctionCounter.builder("pequod_streams_rebalances", this, m -> m.get("rebalances"))
                .description("Rebalances the Streams applications of this instance went through (their consumers' rebalance-total, "
                        + "read at each scrape)").register(registry);
        FunctionCounter.builder("pequod_streams_changelog_records_read", this, m -> m.get("restored"))
                .description("Records the restore consumers read from changelogs: restoring active stores and updating standbys "
                        + "(read at each scrape)").register(registry);
        Gauge.builder("pequod_streams_restoring_tasks", this, m -> m.get("active-restoring-tasks"))
                .description("Active tasks restoring their stores now").register(registry);
        Gauge.builder("pequod_streams_restore_remaining_records", this, m -> m.get("restore-remaining-records-total"))
                .description("Records the restoring tasks still have to restore").register(registry);
        ROCKSDB_MEMORY.forEach((property, kind) -> Gauge.builder("pequod_rocksdb_memory_bytes", this, m -> m.get(property))
                .tag("kind", kind).description("Memory of this instance's RocksDB stores, by kind (summed over every store)")
                .register(registry));
    }

    private synchronized double get(String name) {
        return switch (name) {
            case "rebalances" -> rebalances;
            case "restored" -> restored;
            default -> values.getOrDefault(name, 0.0);
        };
    }

    /** Reads every application's metrics once. */
    synchronized void refresh() {
        Map<String, Double> sums = new HashMap<>();
        Map<String, Map<MetricName, ? extends Metric>> apps;
        try {
            apps = source.get();
        } catch (IllegalStateException notStarted) {
            return; // before the engine started or after it closed: nothing to read
        }
        java.util.Set<String> live = new java.util.HashSet<>();
        for (Map.Entry<String, Map<MetricName, ? extends Metric>> app : apps.entrySet()) {
            for (Map.Entry<MetricName, ? extends Metric> e : app.getValue().entrySet()) {
                MetricName n = e.getKey();
                double v = value(e.getValue());
                if (Double.isNaN(v)) {
                    continue;
                }
                String key = app.getKey() + "|" + n.group() + "|" + n.name() + "|" + new TreeMap<>(n.tags());
                live.add(key);
                if (n.name().equals("rebalance-total") && n.group().equals("consumer-coordinator-metrics")) {
                    rebalances += growth(key, v);
                } else if (n.name().equals("records-consumed-total") && n.group().equals("consumer-fetch-manager-metrics")
                        && n.tags().getOrDefault("client-id", "").endsWith("restore-consumer") && !n.tags().containsKey("topic")) {
                    restored += growth(key, v);
                } else if (n.name().equals("active-restoring-tasks") || n.name().equals("restore-remaining-records-total")
                        || ROCKSDB_MEMORY.containsKey(n.name())) {
                    sums.merge(n.name(), v, Double::sum);
                }
            }
        }
        values.clear();
        values.putAll(sums);
        lastCumulative.keySet().retainAll(live); // clients that are gone (a rebuilt view's old generation)
    }

    /**
     * @return how much a cumulative metric grew since the last read: all of it the first time, or
     * when it went down (a task or a client that started again from 0)
     */
    private double growth(String key, double now) {
        Double before = lastCumulative.put(key, now);
        return before == null || now < before ? now : now - before;
    }

    private static double value(Metric m) {
        Object v;
        try {
            v = m.metricValue();
        } catch (RuntimeException closing) { // a store closed between the listing and the read
            return Double.NaN;
        }
        if (v instanceof Number num) {
            double d = num.doubleValue();
            return Double.isFinite(d) ? d : Double.NaN;
        }
        return Double.NaN;
    }
}
