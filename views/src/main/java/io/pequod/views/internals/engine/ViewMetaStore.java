package io.pequod.views.internals.engine;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.pequod.schemas.PequodException;
import io.pequod.schemas.TableTopics;
import io.pequod.views.internals.processor.ViewFences;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Future;
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

    /**
     * Join spec text installed into a running engine (not given at its start), kept so that a
     * restart installs it again.
     *
     * @param name the name that positions in its error messages use
     * @param text the spec text
     */
    public record InstalledSpec(String name, String text) {
    }

    /**
     * Everything recorded.
     *
     * @param views     every view's latest record, by view table
     * @param installed spec texts installed at run time, in order
     * @param tableApplications the tables each tables application materializes, by application
     *                  id: the main one's ({@code <ns>-tables}, as the first instance started it)
     *                  and those of tables that came after
     * @param computedViews the views computed inside each tables application, with their join texts,
     *                  by application id (as the instance that created the application recorded them)
     */
    public record Records(Map<String, ViewMeta> views, List<InstalledSpec> installed, Map<String, List<String>> tableApplications,
                          Map<String, Map<String, List<String>>> computedViews) {
    }

    /** Key of the installed specs' record: no table name starts with '|'. */
    static final String INSTALLED_KEY = "|installed-joins";
    /** Key of the record of tables applications besides the main one. */
    static final String TABLE_APPLICATIONS_KEY = "|table-applications";

    record InstalledList(List<InstalledSpec> specs) {
    }

    @JsonIgnoreProperties(ignoreUnknown = true)
    record TableApplications(Map<String, List<String>> applications, Map<String, Map<String, List<String>>> views) {
    }

    private final Map<String, Object> consumerConfig;
    private final Map<String, Object> producerConfig;
    private final TableTopics topics;

    /**
     * @param consumerConfig Kafka consumer settings (bootstrap servers at least)
     * @param producerConfig Kafka producer settings (bootstrap servers at least)
     * @param topics         the namespace's topics
     */
    public ViewMetaStore(Map<String, Object> consumerConfig, Map<String, Object> producerConfig, TableTopics topics) {
        this.consumerConfig = consumerConfig;
        this.producerConfig = producerConfig;
        this.topics = topics;
    }

    /** @return the application id for a view generation */
    public static String applicationId(TableTopics topics, String view, String definition, int generation) {
        return new EngineNames(topics).viewApplication(view, definition, generation);
    }

    /** @return every view's latest record */
    public Map<String, ViewMeta> readAll() {
        return read().views();
    }

    /** @return every view's latest record and the installed spec texts */
    public Records read() {
        Map<String, ViewMeta> out = new HashMap<>();
        List<InstalledSpec> installed = new ArrayList<>();
        Map<String, List<String>> apps = new TreeMap<>();
        Map<String, Map<String, List<String>>> computed = new TreeMap<>();
        Map<String, Object> cfg = new HashMap<>(consumerConfig);
        cfg.put("enable.auto.commit", false);
        try (KafkaConsumer<String, String> c = new KafkaConsumer<>(cfg, new StringDeserializer(), new StringDeserializer())) {
            TopicPartition tp = new TopicPartition(EngineAdmin.metaTopic(topics), 0);
            c.assign(List.of(tp));
            c.seekToBeginning(List.of(tp));
            long end = c.endOffsets(List.of(tp)).get(tp);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (c.position(tp) < end && System.nanoTime() < deadline) {
                for (ConsumerRecord<String, String> r : c.poll(Duration.ofMillis(200))) {
                    if (r.key().equals(TABLE_APPLICATIONS_KEY)) {
                        apps.clear();
                        computed.clear();
                        if (r.value() != null) {
                            TableApplications t = JSON.readValue(r.value(), TableApplications.class);
                            apps.putAll(t.applications());
                            if (t.views() != null) {
                                computed.putAll(t.views());
                            }
                        }
                    } else if (r.key().equals(INSTALLED_KEY)) {
                        installed.clear();
                        if (r.value() != null) {
                            installed.addAll(JSON.readValue(r.value(), InstalledList.class).specs());
                        }
                    } else if (r.value() == null) {
                        out.remove(r.key());
                    } else {
                        out.put(r.key(), JSON.readValue(r.value(), ViewMeta.class));
                    }
                }
            }
        } catch (Exception e) {
            throw new PequodException("Could not read the view records in " + EngineAdmin.metaTopic(topics) + ": " + e.getMessage(), e);
        }
        return new Records(out, List.copyOf(installed), Map.copyOf(apps), Map.copyOf(computed));
    }

    /** @param specs every spec text installed at run time, in order (replaces the earlier list) */
    public void writeInstalled(List<InstalledSpec> specs) {
        send(INSTALLED_KEY, new InstalledList(List.copyOf(specs)), "the installed joins");
    }

    /**
     * @param applications tables applications, with their tables (replaces the earlier record)
     * @param views        the views computed inside each, with their join texts
     */
    public void writeTableApplications(Map<String, List<String>> applications, Map<String, Map<String, List<String>>> views) {
        send(TABLE_APPLICATIONS_KEY, new TableApplications(Map.copyOf(applications), Map.copyOf(views)), "the tables applications");
    }

    /** @param meta the record to write */
    public void write(ViewMeta meta) {
        send(meta.view(), meta, "the view record of " + meta.view());
    }

    private void send(String key, Object value, String what) {
        try (KafkaProducer<String, String> p = new KafkaProducer<>(producerConfig, new StringSerializer(), new StringSerializer())) {
            p.send(new ProducerRecord<>(EngineAdmin.metaTopic(topics), key, JSON.writeValueAsString(value))).get(30, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new PequodException("Could not write " + what + ": " + e.getMessage(), e);
        }
    }

    /**
     * Erases every key of a view's topic before a new generation is built into it: first a
     * generation marker in every partition ({@link ViewFences}), then, reading the topic up to its
     * current end, a tombstone to the same partition for every record that has a value (no set of
     * live keys is built: a key written several times gets several tombstones, which compaction
     * folds into one).
     *
     * @param table      the view table
     * @param generation the new generation (-1: no marker, the view's first)
     * @return the number of tombstones written
     */
    public int clearTable(String table, int generation) {
        String topic = topics.tableTopic(table);
        if (generation >= 0) {
            writeMarkers(topic, generation);
        }
        Map<String, Object> cfg = new HashMap<>(consumerConfig);
        cfg.put("enable.auto.commit", false);
        cfg.put("max.poll.records", 10_000);
        Map<String, Object> bulk = new HashMap<>(producerConfig);
        bulk.put("linger.ms", 20);
        bulk.put("batch.size", 512 * 1024);
        int n = 0;
        try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(cfg, new ByteArrayDeserializer(), new ByteArrayDeserializer());
             KafkaProducer<byte[], byte[]> p = new KafkaProducer<>(bulk, new ByteArraySerializer(), new ByteArraySerializer())) {
            List<TopicPartition> tps = c.partitionsFor(topic).stream().map(x -> new TopicPartition(topic, x.partition())).toList();
            c.assign(tps);
            c.seekToBeginning(tps);
            Map<TopicPartition, Long> end = c.endOffsets(tps);
            Map<Integer, Long> endByPartition = new HashMap<>();
            end.forEach((tp, o) -> endByPartition.put(tp.partition(), o));
            long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(5);
            while (tps.stream().anyMatch(tp -> c.position(tp) < end.get(tp)) && System.nanoTime() < deadline) {
                for (ConsumerRecord<byte[], byte[]> r : c.poll(Duration.ofMillis(200))) {
                    if (r.value() != null && r.offset() < endByPartition.get(r.partition())) {
                        p.send(new ProducerRecord<>(topic, r.partition(), r.key(), null));
                        n++;
                    }
                }
            }
            p.flush();
        }
        return n;
    }

    private void writeMarkers(String topic, int generation) {
        try (KafkaProducer<byte[], byte[]> p = new KafkaProducer<>(producerConfig, new ByteArraySerializer(), new ByteArraySerializer())) {
            List<Future<RecordMetadata>> sent = new ArrayList<>();
            for (PartitionInfo part : p.partitionsFor(topic)) {
                ProducerRecord<byte[], byte[]> r = new ProducerRecord<>(topic, part.partition(), ViewFences.markerKey(), null);
                ViewFences.stamp(r.headers(), generation);
                sent.add(p.send(r));
            }
            for (Future<RecordMetadata> f : sent) {
                f.get(30, TimeUnit.SECONDS);
            }
        } catch (Exception e) {
            throw new PequodException("Could not write the generation markers of " + topic + ": " + e.getMessage(), e);
        }
    }
}
