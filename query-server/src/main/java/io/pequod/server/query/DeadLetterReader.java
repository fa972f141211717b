package io.pequod.server.query;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads the newest records of the namespace's dead-letter topic ({@code <ns>.dead-letters}), with the
 * reason and origin their headers give, for operators ({@code GET /v1/dead-letters}). Each call
 * uses a consumer of its own that joins no group: it commits nothing and moves nothing.
 */
public final class DeadLetterReader {
    private static final Duration WAIT = Duration.ofSeconds(5);

    /**
     * One dead letter.
     *
     * @param partition   its partition in the dead-letter topic
     * @param offset      its offset there
     * @param timestampMs the record's timestamp (the failed record's own, kept when it was dead-lettered)
     * @param reason      why ({@code pequod.dlq.reason})
     * @param originTopic the topic of the record that failed, with its partition and offset ({@code -1} if not given)
     * @param application the application that could not process it
     * @param key         the record's key, as it was
     * @param value       the record's value, as it was ({@code null} for a tombstone)
     */
    public record Entry(int partition, long offset, long timestampMs, String reason, String originTopic, int originPartition,
                        long originOffset, String application, byte[] key, byte[] value) {
    }

    private final String topic;
    private final Map<String, Object> config;

    /**
     * @param topic          the dead-letter topic
     * @param consumerConfig the consumer's settings (bootstrap servers, security)
     */
    public DeadLetterReader(String topic, Map<String, Object> consumerConfig) {
        this.topic = topic;
        this.config = new HashMap<>(consumerConfig);
        config.remove(ConsumerConfig.GROUP_ID_CONFIG);
        config.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    }

    /** @return the dead-letter topic's name */
    public String topic() {
        return topic;
    }

    /**
     * @param limit how many, at most
     * @return the newest dead letters, newest first (by offset; read at most every 2 s); empty if the topic does not exist yet
     * @throws QueryException unavailable if Kafka does not answer in time
     */
    public synchronized List<Entry> newest(int limit) {
        long now = System.currentTimeMillis();
        if (limit == cachedLimit && now - cachedAt < CACHE_MS) {
            return cached;
        }
        cached = read(limit);
        cachedLimit = limit;
        cachedAt = System.currentTimeMillis();
        return cached;
    }

    private static final long CACHE_MS = 2000;
    private List<Entry> cached = List.of();
    private int cachedLimit = -1;
    private long cachedAt;

    private List<Entry> read(int limit) {
        try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(config, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            List<PartitionInfo> infos = c.partitionsFor(topic, WAIT);
            if (infos == null || infos.isEmpty()) {
                return List.of();
            }
            List<TopicPartition> parts = infos.stream().map(i -> new TopicPartition(topic, i.partition())).toList();
            c.assign(parts);
            Map<TopicPartition, Long> end = c.endOffsets(parts, WAIT);
            Map<TopicPartition, Long> begin = c.beginningOffsets(parts, WAIT);
            for (TopicPartition tp : parts) {
                c.seek(tp, Math.max(begin.get(tp), end.get(tp) - limit));
            }
            List<Entry> out = new ArrayList<>();
            long deadline = System.nanoTime() + WAIT.toNanos();
            while (parts.stream().anyMatch(tp -> c.position(tp) < end.get(tp)) && System.nanoTime() < deadline) {
                for (ConsumerRecord<byte[], byte[]> r : c.poll(Duration.ofMillis(200))) {
                    if (r.offset() < end.get(new TopicPartition(r.topic(), r.partition()))) {
                        out.add(entry(r));
                    }
                }
            }
            // in the order they were dead-lettered (Pequod creates the topic with one partition)
            out.sort(Comparator.comparingLong(Entry::offset).thenComparingLong(Entry::timestampMs).reversed());
            return out.size() > limit ? List.copyOf(out.subList(0, limit)) : out;
        } catch (org.apache.kafka.common.KafkaException e) {
            throw QueryException.unavailable("could not read the dead-letter topic " + topic + ": " + e.getMessage());
        }
    }

    private static Entry entry(ConsumerRecord<byte[], byte[]> r) {
        return new Entry(r.partition(), r.offset(), r.timestamp(), header(r, "pequod.dlq.reason"), header(r, "pequod.dlq.topic"),
                (int) number(header(r, "pequod.dlq.partition")), number(header(r, "pequod.dlq.offset")),
                header(r, "pequod.dlq.application"), r.key(), r.value());
    }

    private static String header(ConsumerRecord<?, ?> r, String name) {
        Header h = r.headers().lastHeader(name);
        return h == null || h.value() == null ? null : new String(h.value(), StandardCharsets.UTF_8);
    }

    private static long number(String s) {
        try {
            return s == null ? -1 : Long.parseLong(s.trim());
        } catch (NumberFormatException e) {
            return -1;
        }
    }
}
