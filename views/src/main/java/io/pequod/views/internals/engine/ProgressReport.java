package io.pequod.views.internals.engine;

import io.pequod.views.progress.ApplicationProgress;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsMetadata;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Each application's way through its input: the input partitions of its tasks on every instance
 * (from Streams' metadata), their first and end offsets and the group's committed offsets. Read
 * from Kafka at most once a second.
 */
public final class ProgressReport {
    private static final Logger LOG = LoggerFactory.getLogger(ProgressReport.class);
    private static final long CACHE_MS = 1000;

    private final EngineAdmin admin;
    private final java.util.concurrent.atomic.AtomicBoolean reading = new java.util.concurrent.atomic.AtomicBoolean();
    private volatile List<ApplicationProgress> last = List.of();
    private volatile long lastAt;

    /** @param admin the engine's admin client */
    public ProgressReport(EngineAdmin admin) {
        this.admin = admin;
    }

    /**
     * @param clients every application's Streams client, by application id
     * @return each application's progress, in the order given; while another caller reads Kafka
     * (which may take long), the last report (never a caller held waiting for Kafka but that one)
     */
    public List<ApplicationProgress> report(Map<String, KafkaStreams> clients) {
        boolean fresh = System.currentTimeMillis() - lastAt < CACHE_MS && last.size() == clients.size();
        if (fresh || !reading.compareAndSet(false, true)) {
            return last.size() == clients.size() ? last : unknown(clients);
        }
        try {
            List<ApplicationProgress> out = new ArrayList<>();
            clients.forEach((app, ks) -> out.add(one(app, ks)));
            last = List.copyOf(out);
            lastAt = System.currentTimeMillis();
            return last;
        } finally {
            reading.set(false);
        }
    }

    private static List<ApplicationProgress> unknown(Map<String, KafkaStreams> clients) {
        List<ApplicationProgress> out = new ArrayList<>();
        clients.forEach((app, ks) -> out.add(new ApplicationProgress(app, ks.state().name(), -1, -1, -1)));
        return out;
    }

    private ApplicationProgress one(String app, KafkaStreams ks) {
        String state = ks.state().name();
        Set<TopicPartition> inputs = new HashSet<>();
        try {
            for (StreamsMetadata m : ks.metadataForAllStreamsClients()) {
                inputs.addAll(m.topicPartitions());
            }
        } catch (RuntimeException notNow) {
            // no metadata while the client starts or rebalances
        }
        if (inputs.isEmpty()) {
            return new ApplicationProgress(app, state, -1, -1, -1);
        }
        try {
            Map<TopicPartition, Long> first = admin.offsets(inputs, OffsetSpec.earliest());
            Map<TopicPartition, Long> end = admin.offsets(inputs, OffsetSpec.latest());
            Map<TopicPartition, Long> committed = admin.committed(app);
            long consumed = 0;
            long total = 0;
            for (TopicPartition tp : inputs) {
                long from = first.getOrDefault(tp, 0L);
                long to = end.getOrDefault(tp, from);
                long at = Math.min(to, Math.max(from, committed.getOrDefault(tp, from)));
                total += to - from;
                consumed += at - from;
            }
            return new ApplicationProgress(app, state, consumed, total, total - consumed);
        } catch (RuntimeException e) {
            LOG.debug("Could not read the progress of {}: {}", app, e.toString());
            return new ApplicationProgress(app, state, -1, -1, -1);
        }
    }
}
