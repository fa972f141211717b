package io.pequod.server.metrics;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.prometheus.metrics.model.registry.MultiCollector;
import io.prometheus.metrics.model.snapshots.ClassicHistogramBuckets;
import io.prometheus.metrics.model.snapshots.Exemplars;
import io.prometheus.metrics.model.snapshots.HistogramSnapshot;
import io.prometheus.metrics.model.snapshots.HistogramSnapshot.HistogramDataPointSnapshot;
import io.prometheus.metrics.model.snapshots.Labels;
import io.prometheus.metrics.model.snapshots.MetricMetadata;
import io.prometheus.metrics.model.snapshots.MetricSnapshots;
import io.prometheus.metrics.model.snapshots.Unit;
import org.HdrHistogram.Histogram;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

/**
 * Per table (base tables and views, label {@code table}; {@code kind} is {@code table} or
 * {@code view}): records applied to this instance's store and derived records they caused
 * ({@code /v1/stats}' {@code records_in} and {@code records_out}), store lag, and the
 * write-to-visible latency as a Prometheus histogram ({@code pequod_visible_latency_seconds}, from
 * the instance's HdrHistogram at each scrape: cumulative since start, so that
 * {@code histogram_quantile} over a {@code rate} gives the percentiles of any window).
 */
final class TableMeters implements MultiCollector {
    /** Upper bounds of the latency buckets, in seconds. */
    static final double[] LATENCY_BOUNDS_SECONDS = {0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 30, 60};

    /**
     * One table's numbers at a scrape.
     *
     * @param view       whether joins write it
     * @param recordsIn  records applied to this instance's store since start
     * @param recordsOut derived records its writes caused, since start
     * @param lag        records of its topic not yet applied here, or -1 if unknown
     * @param latencyMs  write-to-visible latency in ms since start
     */
    record Table(boolean view, long recordsIn, long recordsOut, long lag, Histogram latencyMs) {
    }

    private final Supplier<Map<String, Table>> source;
    private final MeterRegistry registry;
    private final Set<String> seen = ConcurrentHashMap.newKeySet();
    private volatile Map<String, Table> current = Map.of();

    /**
     * @param source   every table's numbers now, by table
     * @param registry where to register the counters and gauges (the histogram is collected by the
     *                 Prometheus registry this is registered with)
     */
    TableMeters(Supplier<Map<String, Table>> source, MeterRegistry registry) {
        this.source = source;
        this.registry = registry;
    }

    /** Reads every table's numbers once, registering meters for tables seen for the first time. */
    void refresh() {
        Map<String, Table> now = source.get();
        current = now;
        for (Map.Entry<String, Table> e : now.entrySet()) {
            String table = e.getKey();
            if (seen.add(table)) {
                String kind = e.getValue().view() ? "view" : "table";
                FunctionCounter.builder("pequod_table_records_in", this, m -> m.of(table, Table::recordsIn)).tag("table", table)
                        .tag("kind", kind).description("Records applied to this instance's store of a table or view, since start")
                        .register(registry);
                FunctionCounter.builder("pequod_table_records_out", this, m -> m.of(table, Table::recordsOut)).tag("table", table)
                        .tag("kind", kind).description("Derived records that writes to a table or view caused, since start")
                        .register(registry);
                Gauge.builder("pequod_table_store_lag_records", this, m -> m.of(table, Table::lag)).tag("table", table).tag("kind", kind)
                        .description("Records of a table's or view's topic not yet applied to this instance's store (-1: unknown)")
                        .register(registry);
            }
        }
    }

    private double of(String table, java.util.function.ToLongFunction<Table> f) {
        Table t = current.get(table);
        return t == null ? Double.NaN : f.applyAsLong(t);
    }

    @Override
    public MetricSnapshots collect() {
        List<HistogramDataPointSnapshot> points = new ArrayList<>();
        current.forEach((table, t) -> points.add(point(Labels.of("kind", t.view() ? "view" : "table", "table", table), t.latencyMs())));
        return MetricSnapshots.of(new HistogramSnapshot(new MetricMetadata("pequod_visible_latency_seconds",
                "Write-to-visible latency of the records applied to this instance's store of a table or view, since start", Unit.SECONDS),
                points));
    }

    @Override
    public List<String> getPrometheusNames() {
        return List.of("pequod_visible_latency_seconds");
    }

    /** @return a histogram of latencies in ms as Prometheus buckets in seconds */
    static HistogramDataPointSnapshot point(Labels labels, Histogram ms) {
        double[] bounds = new double[LATENCY_BOUNDS_SECONDS.length + 1];
        long[] counts = new long[bounds.length];
        long below = 0;
        for (int i = 0; i < LATENCY_BOUNDS_SECONDS.length; i++) {
            bounds[i] = LATENCY_BOUNDS_SECONDS[i];
            long upTo = ms.getTotalCount() == 0 ? 0 : ms.getCountBetweenValues(0, Math.round(LATENCY_BOUNDS_SECONDS[i] * 1000));
            counts[i] = Math.max(0, upTo - below);
            below = Math.max(below, upTo);
        }
        bounds[bounds.length - 1] = Double.POSITIVE_INFINITY;
        counts[counts.length - 1] = Math.max(0, ms.getTotalCount() - below);
        double sumSeconds = ms.getTotalCount() == 0 ? 0 : ms.getMean() * ms.getTotalCount() / 1000;
        return new HistogramDataPointSnapshot(ClassicHistogramBuckets.of(bounds, counts), sumSeconds, labels, Exemplars.EMPTY, 0);
    }
}
