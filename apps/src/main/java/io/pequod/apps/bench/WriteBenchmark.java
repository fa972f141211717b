package io.pequod.apps.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.pequod.embedded.EmbeddedRuntime;
import io.pequod.ingest.ChangeWriter;
import io.pequod.ingest.Progress;
import io.pequod.schemas.ChangeSerde;
import io.pequod.schemas.Changes;
import io.pequod.schemas.SchemaRegistryClient;
import io.pequod.schemas.TablePartitioner;
import io.pequod.schemas.TableTopics;
import io.pequod.schemas.avro.Operation;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Writer throughput: {@link ChangeWriter} puts of N-byte values against a plain
 * {@link KafkaProducer} sending the same keys and the same values pre-serialized (wire format
 * computed before the clock starts), with the same producer settings, in alternating rounds in
 * one process. The ratio is the writer's cost: validation, Avro encoding, futures.
 */
public final class WriteBenchmark {
    private final int records;
    private final int valueSize;
    private final int rounds;
    private final int partitions;

    /**
     * @param records    records per round
     * @param valueSize  bytes per value
     * @param rounds     measured rounds per contender
     * @param partitions partitions per topic
     */
    public WriteBenchmark(int records, int valueSize, int rounds, int partitions) {
        this.records = records;
        this.valueSize = valueSize;
        this.rounds = rounds;
        this.partitions = partitions;
    }

    /** One contender's figures: the best and median rounds. */
    public record Figures(double bestPerSec, double medianPerSec, List<Double> rounds) {
    }

    /** The outcome. */
    public record Result(int records, int valueSize, int partitions, String broker, Figures writer, Figures producer) {
        /** @return writer records/s over plain producer records/s (medians) */
        public double ratio() {
            return writer.medianPerSec() / producer.medianPerSec();
        }

        /** @return the result as a JSON object */
        public String toJson() {
            ObjectMapper m = new ObjectMapper();
            ObjectNode o = m.createObjectNode();
            o.put("benchmark", "write");
            o.put("records_per_round", records);
            o.put("value_bytes", valueSize);
            o.put("partitions", partitions);
            o.put("broker", broker);
            o.set("change_writer", figures(m, writer));
            o.set("plain_producer", figures(m, producer));
            o.put("ratio_writer_to_producer", Math.round(ratio() * 1000) / 1000.0);
            return o.toString();
        }

        private static ObjectNode figures(ObjectMapper m, Figures f) {
            ObjectNode n = m.createObjectNode();
            n.put("records_per_sec_median", Math.round(f.medianPerSec()));
            n.put("records_per_sec_best", Math.round(f.bestPerSec()));
            n.set("rounds_records_per_sec", m.valueToTree(f.rounds().stream().map(Math::round).toList()));
            return n;
        }
    }

    /**
     * @param bootstrap a cluster, or {@code null} to start the embedded runtime
     * @param registry  its schema registry URL, or {@code null} with the embedded runtime
     * @return the figures
     * @throws Exception if Kafka fails
     */
    public Result run(String bootstrap, String registry) throws Exception {
        EmbeddedRuntime rt = null;
        if (bootstrap == null) {
            System.err.println("bench write: starting the embedded broker and registry ...");
            rt = EmbeddedRuntime.start(null);
            bootstrap = rt.bootstrapServers();
            registry = rt.schemaRegistryUrl();
        }
        try {
            return measure(bootstrap, registry);
        } finally {
            if (rt != null) {
                rt.close();
            }
        }
    }

    private Result measure(String bootstrap, String registry) throws Exception {
        String ns = "bench" + Long.toHexString(System.nanoTime());
        String plainTopic = ns + ".plain";
        byte[][] keys = new byte[records][];
        byte[][] values = new byte[records][];
        Random rnd = new Random(42);
        for (int i = 0; i < records; i++) {
            keys[i] = String.format("w|%08d|%010d", rnd.nextInt(5000), i).getBytes(StandardCharsets.UTF_8);
            byte[] v = new byte[valueSize];
            for (int j = 0; j < valueSize; j++) {
                v[j] = (byte) ('a' + rnd.nextInt(26));
            }
            values[i] = v;
        }
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", bootstrap))) {
            admin.createTopics(List.of(new NewTopic(plainTopic, Optional.of(partitions), Optional.empty())
                    .configs(TableTopics.TABLE_TOPIC_CONFIG))).all().get();
        }
        ChangeSerde.ChangeSerializer ser = new ChangeSerde.ChangeSerializer(SchemaRegistryClient.shared(registry));
        byte[][] wire = new byte[records][];
        for (int i = 0; i < records; i++) {
            wire[i] = ser.serialize(plainTopic, Changes.of(Operation.PUT, values[i]));
        }
        List<Double> writerRounds = new ArrayList<>();
        List<Double> producerRounds = new ArrayList<>();
        try (ChangeWriter writer = ChangeWriter.builder().bootstrapServers(bootstrap).schemaRegistryUrl(registry)
                .namespace(ns).partitions(partitions).build();
             KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(plainProducerConfig(bootstrap),
                     new ByteArraySerializer(), new ByteArraySerializer())) {
            writer.put(keys[0], values[0]).get(); // creates the topic, registers the schema
            roundOfWriter(writer, keys, values, "warm-up writer");
            roundOfProducer(producer, plainTopic, keys, wire, "write warm-up producer");
            for (int r = 0; r < rounds; r++) {
                writerRounds.add(roundOfWriter(writer, keys, values, "writer   " + (r + 1) + "/" + rounds));
                producerRounds.add(roundOfProducer(producer, plainTopic, keys, wire, "write producer " + (r + 1) + "/" + rounds));
            }
        }
        return new Result(records, valueSize, partitions, bootstrap, figures(writerRounds), figures(producerRounds));
    }

    private static Map<String, Object> plainProducerConfig(String bootstrap) {
        Map<String, Object> p = producerSettings(bootstrap);
        p.put(ProducerConfig.PARTITIONER_CLASS_CONFIG, TablePartitioner.class.getName());
        return p;
    }

    /**
     * The writer's own producer settings, so that a comparison isolates the writer's cost (the
     * anchor of {@code bench write} and {@code bench sources}).
     */
    static Map<String, Object> producerSettings(String bootstrap) {
        Map<String, Object> p = new HashMap<>();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        p.put(ProducerConfig.LINGER_MS_CONFIG, 5);
        p.put(ProducerConfig.BATCH_SIZE_CONFIG, 128 * 1024);
        p.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, "lz4");
        return p;
    }

    private double roundOfWriter(ChangeWriter w, byte[][] keys, byte[][] values, String label) {
        Progress bar = new Progress(System.err, "bench write " + label, "records", keys.length, true);
        AtomicLong failed = new AtomicLong();
        long t0 = System.nanoTime();
        for (int i = 0; i < keys.length; i++) {
            w.put(keys[i], values[i]).whenComplete((p, e) -> {
                if (e != null) {
                    failed.incrementAndGet();
                }
            });
            bar.update(i, i);
        }
        w.flush();
        double secs = (System.nanoTime() - t0) / 1e9;
        bar.finish(keys.length, keys.length);
        check(failed, label);
        return keys.length / secs;
    }

    /** Sends every record (keys may be null), checks each send; @return records per second */
    static double roundOfProducer(KafkaProducer<byte[], byte[]> p, String topic, byte[][] keys, byte[][] wire, String label) {
        Progress bar = new Progress(System.err, "bench " + label, "records", keys.length, true);
        AtomicLong failed = new AtomicLong();
        long t0 = System.nanoTime();
        for (int i = 0; i < keys.length; i++) {
            p.send(new ProducerRecord<>(topic, keys[i], wire[i]), (md, e) -> {
                if (e != null) {
                    failed.incrementAndGet();
                }
            });
            bar.update(i, i);
        }
        p.flush();
        double secs = (System.nanoTime() - t0) / 1e9;
        bar.finish(keys.length, keys.length);
        check(failed, label);
        return keys.length / secs;
    }

    private static void check(AtomicLong failed, String label) {
        if (failed.get() > 0) {
            throw new IllegalStateException(label + ": " + failed.get() + " sends failed");
        }
    }

    private static Figures figures(List<Double> rounds) {
        List<Double> sorted = new ArrayList<>(rounds);
        sorted.sort(Double::compare);
        return new Figures(sorted.get(sorted.size() - 1), sorted.get(sorted.size() / 2), rounds);
    }
}
