package io.pequod.views.internals.engine;

import io.pequod.views.internals.compile.SourceTopology;
import io.pequod.views.progress.SourceStatus;
import io.pequod.views.spec.JoinSpec;
import io.pequod.views.spec.SourceDeclaration;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The applications of sources, one per declared source (table and topic): each reads the user's
 * topic with exactly-once processing (the table writes and the consumed offsets commit in one
 * transaction, whatever the engine's processing guarantee), one stream thread, no stores. A
 * source whose topic does not exist yet waits and starts once it does (looked for every second).
 */
public final class SourceApplications {
    private static final Logger LOG = LoggerFactory.getLogger(SourceApplications.class);
    private static final long LAG_CACHE_MS = 1_000;

    private record Source(SourceDeclaration declaration, String id, AtomicLong deadLetters, KafkaStreams streams) {
    }

    private final EngineParts parts;
    private final Map<String, Source> sources = new LinkedHashMap<>();
    private final ScheduledExecutorService waiting;
    private Map<String, Long> lags = Map.of();
    private long lagsAt;

    /** @param parts the engine's parts */
    public SourceApplications(EngineParts parts) {
        this.parts = parts;
        this.waiting = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "pequod-sources");
            t.setDaemon(true);
            return t;
        });
        waiting.scheduleWithFixedDelay(this::startWaiting, 1, 1, TimeUnit.SECONDS);
    }

    /** @param source a source @return its application's id */
    String applicationId(SourceDeclaration source) {
        return parts.topics().namespace() + "-source-" + source.table() + "-" + source.topic();
    }

    /**
     * Starts the applications of the spec's sources that are not running yet (those whose topic
     * exists; the others wait for it).
     *
     * @param spec the joins and sources in force
     */
    public synchronized void startNew(JoinSpec spec) {
        for (SourceDeclaration d : spec.sources()) {
            String id = applicationId(d);
            if (!sources.containsKey(id)) {
                sources.put(id, new Source(d, id, new AtomicLong(), null));
            }
        }
        startWaiting();
    }

    private synchronized void startWaiting() {
        List<Source> pending = sources.values().stream().filter(s -> s.streams() == null).toList();
        if (pending.isEmpty()) {
            return;
        }
        try {
            Set<String> existing = parts.admin().listTopics();
            for (Source s : pending) {
                if (existing.contains(s.declaration().topic())) {
                    start(s);
                }
            }
        } catch (RuntimeException e) {
            LOG.warn("Could not start sources {}: {}", pending.stream().map(Source::id).toList(), e.toString());
        }
    }

    private void start(Source s) {
        SourceDeclaration d = s.declaration();
        KafkaStreams ks = parts.streams().create(s.id(), SourceTopology.build(d, s.id(), parts.topics(), parts.rule(),
                parts.registry(), s.deadLetters(), parts.deadLetters()), Map.of(
                StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2,
                StreamsConfig.NUM_STREAM_THREADS_CONFIG, 1,
                StreamsConfig.NUM_STANDBY_REPLICAS_CONFIG, 0,
                // One request in flight: under transactions v2 a transaction's later batches to a
                // partition overtaking its first are refused (retriable, but logged as broker errors).
                StreamsConfig.producerPrefix(ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION), 1));
        ks.start();
        sources.put(s.id(), new Source(d, s.id(), s.deadLetters(), ks));
        LOG.info("Source {} started: table {} from topic {} ({}), application {}", d.text(), d.table(), d.topic(),
                d.format().written(), s.id());
    }

    /** @return every source's running application, by application id (they stay running) */
    public synchronized Map<String, KafkaStreams> running() {
        Map<String, KafkaStreams> out = new LinkedHashMap<>();
        sources.values().stream().filter(s -> s.streams() != null).forEach(s -> out.put(s.id(), s.streams()));
        return out;
    }

    /** @return every source's status, lags read from Kafka at most once a second */
    public synchronized List<SourceStatus> status() {
        Map<String, Long> lag = lags();
        List<SourceStatus> out = new ArrayList<>();
        for (Source s : sources.values()) {
            SourceDeclaration d = s.declaration();
            out.add(new SourceStatus(d.table(), d.topic(), d.format().written(), s.id(),
                    s.streams() == null ? SourceStatus.WAITING_FOR_TOPIC : s.streams().state().name(),
                    lag.getOrDefault(s.id(), -1L), s.deadLetters().get()));
        }
        return out;
    }

    private Map<String, Long> lags() {
        long now = System.currentTimeMillis();
        if (now - lagsAt < LAG_CACHE_MS) {
            return lags;
        }
        Map<String, Long> out = new LinkedHashMap<>();
        for (Source s : sources.values()) {
            if (s.streams() == null) {
                continue;
            }
            try {
                Map<TopicPartition, Long> committed = parts.admin().committed(s.id());
                long lag = 0;
                for (Map.Entry<TopicPartition, Long> e : parts.admin().endOffsets(List.of(s.declaration().topic())).entrySet()) {
                    Long at = committed.get(e.getKey());
                    lag += Math.max(0, e.getValue() - (at != null ? at : s.declaration().startLatest() ? e.getValue() : 0));
                }
                out.put(s.id(), lag);
            } catch (RuntimeException e) {
                LOG.debug("Could not read the lag of source {}: {}", s.id(), e.toString());
            }
        }
        lags = out;
        lagsAt = now;
        return out;
    }

    /** @return the applications, for closing (with the engine's others); this object starts no more */
    public synchronized Map<String, KafkaStreams> takeAll() {
        waiting.shutdownNow();
        Map<String, KafkaStreams> out = running();
        sources.clear();
        return out;
    }
}
