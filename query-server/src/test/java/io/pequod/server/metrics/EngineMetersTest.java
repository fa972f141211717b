package io.pequod.server.metrics;

import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import org.HdrHistogram.Histogram;
import org.apache.kafka.common.Metric;
import org.apache.kafka.common.MetricName;
import org.junit.jupiter.api.Test;

import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@link TableMeters} and {@link StreamsMeters} as they appear in the Prometheus exposition, without an engine. */
class EngineMetersTest {
    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);

    @Test
    void tablesExportCountersLagAndALatencyHistogramInSeconds() {
        Histogram h = new Histogram(3);
        h.recordValue(3);     // ms: in the 0.005 s bucket
        h.recordValue(3);
        h.recordValue(150);   // 0.2 s
        h.recordValue(90_000); // past 60 s: only in +Inf
        Map<String, TableMeters.Table> now = new HashMap<>();
        now.put("t", new TableMeters.Table(true, 42, 7, 3, h));
        TableMeters meters = new TableMeters(() -> now, registry);
        registry.getPrometheusRegistry().register(meters);
        meters.refresh();
        String text = registry.scrape();
        assertTrue(text.contains("pequod_table_records_in_total{kind=\"view\",table=\"t\"} 42"), text);
        assertTrue(text.contains("pequod_table_records_out_total{kind=\"view\",table=\"t\"} 7"), text);
        assertTrue(text.contains("pequod_table_store_lag_records{kind=\"view\",table=\"t\"} 3"), text);
        assertEquals(0, value(text, "pequod_visible_latency_seconds_bucket{kind=\"view\",table=\"t\",le=\"0.002\"}"), text);
        assertEquals(2, value(text, "pequod_visible_latency_seconds_bucket{kind=\"view\",table=\"t\",le=\"0.005\"}"), text);
        assertEquals(2, value(text, "pequod_visible_latency_seconds_bucket{kind=\"view\",table=\"t\",le=\"0.1\"}"), text);
        assertEquals(3, value(text, "pequod_visible_latency_seconds_bucket{kind=\"view\",table=\"t\",le=\"60.0\"}"), text);
        assertEquals(4, value(text, "pequod_visible_latency_seconds_bucket{kind=\"view\",table=\"t\",le=\"+Inf\"}"), text);
        assertEquals(4, value(text, "pequod_visible_latency_seconds_count{kind=\"view\",table=\"t\"}"), text);
        assertEquals(90.156, value(text, "pequod_visible_latency_seconds_sum{kind=\"view\",table=\"t\"}"), 0.1, text);
    }

    @Test
    void streamsCountersOnlyGrowAndGaugesSumOverApplications() {
        AtomicReference<Map<String, Map<MetricName, ? extends Metric>>> apps = new AtomicReference<>();
        StreamsMeters meters = new StreamsMeters(apps::get, registry);
        apps.set(Map.of("a", metrics(
                        metric("rebalance-total", "consumer-coordinator-metrics", Map.of("client-id", "c1"), 2),
                        metric("records-consumed-total", "consumer-fetch-manager-metrics", Map.of("client-id", "a-StreamThread-1-restore-consumer"), 100),
                        metric("records-consumed-total", "consumer-fetch-manager-metrics",
                                Map.of("client-id", "a-StreamThread-1-restore-consumer", "topic", "x"), 100),
                        metric("records-consumed-total", "consumer-fetch-manager-metrics", Map.of("client-id", "a-StreamThread-1-consumer"), 7),
                        metric("size-all-mem-tables", "stream-state-metrics", Map.of("store", "s1"), 1000),
                        metric("block-cache-usage", "stream-state-metrics", Map.of("store", "s1"), 10),
                        metric("active-restoring-tasks", "stream-state-updater-metrics", Map.of(), 1)),
                "b", metrics(
                        metric("rebalance-total", "consumer-coordinator-metrics", Map.of("client-id", "c1"), 1),
                        metric("size-all-mem-tables", "stream-state-metrics", Map.of("store", "s2"), 500),
                        metric("rebalance-total", "other-group", Map.of(), 99))));
        meters.refresh();
        String text = registry.scrape();
        assertEquals(3, value(text, "pequod_streams_rebalances_total"), text);
        assertEquals(100, value(text, "pequod_streams_changelog_records_read_total"), text);
        assertEquals(1500, value(text, "pequod_rocksdb_memory_bytes{kind=\"memtables\"}"), text);
        assertEquals(10, value(text, "pequod_rocksdb_memory_bytes{kind=\"block_cache\"}"), text);
        assertEquals(0, value(text, "pequod_rocksdb_memory_bytes{kind=\"table_readers\"}"), text);
        assertEquals(1, value(text, "pequod_streams_restoring_tasks"), text);

        // a rebalanced again; its restore consumer was replaced (its count starts from 0); b is gone
        apps.set(Map.of("a", metrics(
                metric("rebalance-total", "consumer-coordinator-metrics", Map.of("client-id", "c1"), 3),
                metric("records-consumed-total", "consumer-fetch-manager-metrics", Map.of("client-id", "a-StreamThread-1-restore-consumer"), 20))));
        meters.refresh();
        text = registry.scrape();
        assertEquals(4, value(text, "pequod_streams_rebalances_total"), text);
        assertEquals(120, value(text, "pequod_streams_changelog_records_read_total"), text);
        assertEquals(0, value(text, "pequod_rocksdb_memory_bytes{kind=\"memtables\"}"), text);
        assertEquals(0, value(text, "pequod_streams_restoring_tasks"), text);
    }

    private static double value(String text, String series) {
        for (String line : text.split("\n")) {
            if (line.startsWith(series + " ")) {
                return Double.parseDouble(line.substring(series.length() + 1).trim().split(" ")[0]);
            }
        }
        throw new AssertionError("no series " + series);
    }

    @SafeVarargs
    private static Map<MetricName, Metric> metrics(Map.Entry<MetricName, Metric>... all) {
        Map<MetricName, Metric> m = new LinkedHashMap<>();
        for (Map.Entry<MetricName, Metric> e : all) {
            m.put(e.getKey(), e.getValue());
        }
        return m;
    }

    private static Map.Entry<MetricName, Metric> metric(String name, String group, Map<String, String> tags, double value) {
        MetricName n = new MetricName(name, group, "", tags);
        return Map.entry(n, new Metric() {
            @Override
            public MetricName metricName() {
                return n;
            }

            @Override
            public Object metricValue() {
                return value;
            }
        });
    }
}
