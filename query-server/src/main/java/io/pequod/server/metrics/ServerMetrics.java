package io.pequod.server.metrics;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.pequod.views.PartialViews;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.pequod.views.ViewCatalog;
import io.pequod.views.progress.TableStatistics;
import io.micrometer.core.instrument.distribution.CountAtBucket;
import io.micrometer.core.instrument.distribution.HistogramSnapshot;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.pequod.server.query.QueryService;
import io.pequod.views.ViewEngine;
import io.pequod.views.progress.SourceStatus;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * Prometheus metrics: requests and latency by front end and command, store lag, records applied,
 * dead letters; per table and view ({@link TableMeters}) records in and out, lag and
 * write-to-visible latency; Kafka Streams' rebalances, restores and RocksDB memory
 * ({@link StreamsMeters}); the JVM's memory, threads and CPU. Scraped at {@code GET /metrics}.
 */
public final class ServerMetrics {
    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final Map<String, Timer> timers = new ConcurrentHashMap<>();
    private final Map<String, Counter> errors = new ConcurrentHashMap<>();
    private final ViewEngine engine;
    private final Set<String> sourcesSeen = ConcurrentHashMap.newKeySet();
    private final Set<String> partialSeen = ConcurrentHashMap.newKeySet();
    private final TableMeters tables;
    private final StreamsMeters streams;

    /** @param engine the engine whose dead letters and lag are exported */
    public ServerMetrics(ViewEngine engine) {
        this.engine = engine;
        Gauge.builder("pequod_dead_letters", engine, ViewEngine::deadLetterCount)
                .description("Records sent to the dead-letter topic since start").register(registry);
        Gauge.builder("pequod_store_lag_records", engine, ServerMetrics::totalLag)
                .description("Records in table topics not yet applied to this instance's stores").register(registry);
        tables = new TableMeters(() -> tables(engine), registry);
        registry.getPrometheusRegistry().register(tables);
        streams = new StreamsMeters(() -> engine.catalog().streamsMetrics(), registry);
        new JvmMemoryMetrics().bindTo(registry);
        new JvmThreadMetrics().bindTo(registry);
        new ProcessorMetrics().bindTo(registry);
    }

    /** @return every table's and view's numbers on this instance now */
    private static Map<String, TableMeters.Table> tables(ViewEngine engine) {
        Map<String, TableMeters.Table> out = new HashMap<>();
        ViewCatalog c;
        try {
            c = engine.catalog();
        } catch (IllegalStateException notStarted) {
            return out;
        }
        Map<String, Long> lags = c.storeLags();
        for (Map.Entry<String, TableStatistics.TableStats> e : engine.progress().statistics().tableStats().entrySet()) {
            String table = c.topics().tableOf(e.getKey()).orElse(null);
            if (table != null) {
                TableStatistics.TableStats st = e.getValue();
                out.put(table, new TableMeters.Table(c.isView(table), st.recordsIn(), st.recordsOut(),
                        lags.getOrDefault(c.storeName(table), -1L), st.visibleLatency()));
            }
        }
        return out;
    }

    private static double sourceValue(ViewEngine e, String application, boolean lag) {
        for (SourceStatus s : e.sources()) {
            if (s.application().equals(application)) {
                return lag ? s.lag() : s.deadLetters();
            }
        }
        return Double.NaN;
    }

    static double totalLag(ViewEngine e) {
        long n = 0;
        for (Long l : e.catalog().storeLags().values()) {
            n += l;
        }
        return n;
    }

    /**
     * @param service    the query service, to count keys in this instance's stores, or {@code null} not to
     * @param histograms whether to add the write-to-visible latency histograms, encoded
     * @return this instance's statistics ({@code /v1/stats})
     */
    public ObjectNode stats(QueryService service, boolean histograms) {
        return ServerStats.json(engine, service, histograms);
    }

    /**
     * @param frontEnd {@code http}, {@code resp} or {@code memento}
     * @param command  the endpoint or command
     * @param nanos    how long it took
     * @param failed   whether it answered an error
     */
    public void record(String frontEnd, String command, long nanos, boolean failed) {
        String k = frontEnd + "/" + command;
        timers.computeIfAbsent(k, x -> Timer.builder("pequod_requests").tag("front_end", frontEnd).tag("command", command)
                .publishPercentileHistogram().minimumExpectedValue(Duration.ofNanos(50_000))
                .maximumExpectedValue(Duration.ofSeconds(10)).register(registry)).record(Duration.ofNanos(nanos));
        if (failed) {
            errors.computeIfAbsent(k, x -> Counter.builder("pequod_request_errors").tag("front_end", frontEnd)
                    .tag("command", command).register(registry)).increment();
        }
    }

    /**
     * @param frontEnd {@code http}, {@code resp} or {@code memento}
     * @param command  the endpoint or command
     * @return how many requests took at most each bucket's bound so far, as (bound in ms, count)
     *         pairs in increasing order, plus (+Inf, all); empty if none was recorded
     */
    public List<double[]> histogram(String frontEnd, String command) {
        Timer t = timers.get(frontEnd + "/" + command);
        List<double[]> out = new ArrayList<>();
        if (t == null) {
            return out;
        }
        HistogramSnapshot s = t.takeSnapshot();
        for (CountAtBucket b : s.histogramCounts()) {
            out.add(new double[] {b.bucket(TimeUnit.MILLISECONDS), b.count()});
        }
        out.add(new double[] {Double.POSITIVE_INFINITY, s.count()});
        return out;
    }

    /** @return the Prometheus text exposition */
    public String scrape() {
        tables.refresh();
        streams.refresh();
        for (SourceStatus s : engine.sources()) {
            if (sourcesSeen.add(s.application())) {
                String app = s.application();
                Gauge.builder("pequod_source_lag_records", engine, e -> sourceValue(e, app, true)).tag("source", app)
                        .tag("table", s.table()).tag("topic", s.topic())
                        .description("Records of a source's topic not yet applied to its table (-1: unknown)").register(registry);
                Gauge.builder("pequod_source_dead_letters", engine, e -> sourceValue(e, app, false)).tag("source", app)
                        .tag("table", s.table()).tag("topic", s.topic())
                        .description("A source's records this instance sent to the dead-letter topic since start").register(registry);
            }
        }
        for (String view : engine.partialViews().stats().keySet()) {
            if (partialSeen.add(view)) {
                partial("pequod_partial_ranges", view, PartialViews.Stats::ranges, "A partial view's ranges materialized on this instance");
                partial("pequod_partial_activations", view, PartialViews.Stats::activations,
                        "Reads of a partial view that materialized a range, since start");
                partial("pequod_partial_evictions", view, PartialViews.Stats::evictions,
                        "Ranges of a partial view evicted past the budget, since start");
                partial("pequod_partial_backfills", view, PartialViews.Stats::backfills, "Back-fills of a partial view completed, since start");
                // A counter, so that the exposition's name is the README's pequod_partial_backfill_seconds_total
                // (a gauge of that name was exposed without the _total).
                FunctionCounter.builder("pequod_partial_backfill_seconds", engine, e -> {
                    PartialViews.Stats st = e.partialViews().stats().get(view);
                    return st == null ? Double.NaN : st.backfillMsTotal() / 1000;
                }).tag("view", view).description("Time reads waited for their ranges' back-fills, summed").register(registry);
                partial("pequod_partial_backfill_seconds_max", view, st -> st.backfillMsMax() / 1000,
                        "The longest a read waited for its range's back-fill");
            }
        }
        return registry.scrape();
    }

    private void partial(String name, String view, java.util.function.ToDoubleFunction<PartialViews.Stats> f, String description) {
        Gauge.builder(name, engine, e -> {
            PartialViews.Stats st = e.partialViews().stats().get(view);
            return st == null ? Double.NaN : f.applyAsDouble(st);
        }).tag("view", view).description(description).register(registry);
    }
}
