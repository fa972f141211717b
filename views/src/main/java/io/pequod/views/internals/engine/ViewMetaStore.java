package io.pequod.views.internals.engine;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.pequod.schemas.PequodException;
import io.pequod.schemas.TableTopics;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * The namespace's record of views, one compacted record per view table in {@code <ns>-meta}: the
 * definition hash, the generation and the Streams application that maintains it. A changed
 * definition or a rebuild moves the view to a new application (fresh state, sources re-read from
 * the beginning) after its table topic is cleared.
 */
public final class ViewMetaStore {
    private static final ObjectMapper JSON = new ObjectMapper();

    /**
     * One view's record.
     *
     * @param view        the view table
     * @param definition  hash of its joins
     * @param generation  bumped by each rebuild
     * @param application the Streams application id
     * @param ready       false while its table is being cleared for a rebuild
     */
    public record ViewMeta(String view, String definition, int generation, String application, boolean ready) {
    }

    private final Map<String, Object> clientConfig;
    private final TableTopics topics;

    /**
     * @param clientConfig Kafka client settings (bootstrap servers at least)
     * @param topics       the namespace's topics
     */
    public ViewMetaStore(Map<String, Object> clientConfig, TableTopics topics) {
        this.clientConfig = clientConfig;
        this.topics = topics;
    }

    /** @return the application id for a view generation */
    public static String applicationId(TableTopics topics, String view, String definition, int generation) {
        return topics.namespace() + "-view-" + view + "-" + definition + "-g" + generation;
    }

    /** @return every view's latest record */
    public Map<String, ViewMeta> readAll() {
        Map<String, ViewMeta> out = new HashMap<>();
        Map<String, Object> cfg = new HashMap<>(clientConfig);
        cfg.put("enable.auto.commit", false);
        try (KafkaConsumer<String, String> c = new KafkaConsumer<>(cfg, new StringDeserializer(), new StringDeserializer())) {
            TopicPartition tp = new TopicPartition(EngineAdmin.metaTopic(topics), 0);
            c.assign(List.of(tp));
            c.seekToBeginning(List.of(tp));
            long end = c.endOffsets(List.of(tp)).get(tp);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (c.position(tp) < end && System.nanoTime() < deadline) {
                for (ConsumerRecord<String, String> r : c.poll(Duration.ofMillis(200))) {
                    if (r.value() == null) {
                        out.remove(r.key());
                    } else {
                        out.put(r.key(), JSON.readValue(r.value(), ViewMeta.class));
                    }
                }
            }
        } catch (Exception e) {
            throw new PequodException("Could not read the view records in " + EngineAdmin.metaTopic(topics) + ": " + e.getMessage(), e);
        }
        return out;
    }

    /** @param meta the record to write */
    public void write(ViewMeta meta) {
        try (KafkaProducer<String, String> p = new KafkaProducer<>(clientConfig, new StringSerializer(), new StringSerializer())) {
            p.send(new ProducerRecord<>(EngineAdmin.metaTopic(topics), meta.view(), JSON.writeValueAsString(meta))).get(30, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new PequodException("Could not write the view record of " + meta.view() + ": " + e.getMessage(), e);
        }
    }

    /**
     * Erases every key of a table topic (tombstones to the partitions holding them), so that a
     * view rebuilt from scratch leaves no stale keys.
     *
     * @param table the table
     * @return the number of keys erased
     */
    public int clearTable(String table) {
        String topic = topics.tableTopic(table);
        Map<String, Object> cfg = new HashMap<>(clientConfig);
        cfg.put("enable.auto.commit", false);
        Map<TopicPartition, Set<String>> live = new HashMap<>();
        try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(cfg, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            List<TopicPartition> tps = c.partitionsFor(topic).stream().map(p -> new TopicPartition(topic, p.partition())).toList();
            c.assign(tps);
            c.seekToBeginning(tps);
            Map<TopicPartition, Long> end = c.endOffsets(tps);
            long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(5);
            while (tps.stream().anyMatch(tp -> c.position(tp) < end.get(tp)) && System.nanoTime() < deadline) {
                for (ConsumerRecord<byte[], byte[]> r : c.poll(Duration.ofMillis(200))) {
                    Set<String> keys = live.computeIfAbsent(new TopicPartition(r.topic(), r.partition()), x -> new HashSet<>());
                    String k = new String(r.key(), StandardCharsets.ISO_8859_1);
                    if (r.value() == null) {
                        keys.remove(k);
                    } else {
                        keys.add(k);
                    }
                }
            }
        }
        int n = 0;
        try (KafkaProducer<byte[], byte[]> p = new KafkaProducer<>(clientConfig, new ByteArraySerializer(), new ByteArraySerializer())) {
            for (Map.Entry<TopicPartition, Set<String>> e : live.entrySet()) {
                for (String k : e.getValue()) {
                    p.send(new ProducerRecord<>(topic, e.getKey().partition(), k.getBytes(StandardCharsets.ISO_8859_1), null));
                    n++;
                }
            }
            p.flush();
        }
        return n;
    }
}
