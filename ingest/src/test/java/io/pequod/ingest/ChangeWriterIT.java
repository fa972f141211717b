package io.pequod.ingest;

import io.pequod.embedded.EmbeddedRuntime;
import io.pequod.schemas.ChangeSerde;
import io.pequod.schemas.PartitionRule;
import io.pequod.schemas.SchemaRegistryClient;
import io.pequod.schemas.TopicsReady;
import io.pequod.schemas.WritePosition;
import io.pequod.schemas.avro.Change;
import io.pequod.schemas.avro.Operation;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** ChangeWriter and BulkLoader end to end through the embedded broker and registry. */
@Timeout(240)
class ChangeWriterIT {
    private static EmbeddedRuntime runtime;

    @BeforeAll
    static void start() {
        runtime = EmbeddedRuntime.start(null);
    }

    @AfterAll
    static void stop() {
        runtime.close();
    }

    private static ChangeWriter writer(String ns) {
        return ChangeWriter.builder().bootstrapServers(runtime.bootstrapServers())
                .schemaRegistryUrl(runtime.schemaRegistryUrl()).namespace(ns).partitions(8).build();
    }

    private static List<ConsumerRecord<byte[], byte[]>> readAll(String topic, int expected) {
        Map<String, Object> cfg = Map.of("bootstrap.servers", runtime.bootstrapServers(), "auto.offset.reset", "earliest",
                "enable.auto.commit", false);
        List<ConsumerRecord<byte[], byte[]>> out = new ArrayList<>();
        try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(cfg, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            List<TopicPartition> tps = c.partitionsFor(topic).stream().map(p -> new TopicPartition(topic, p.partition())).toList();
            c.assign(tps);
            c.seekToBeginning(tps);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (out.size() < expected && System.nanoTime() < deadline) {
                c.poll(Duration.ofMillis(200)).forEach(out::add);
            }
        }
        return out;
    }

    @Test
    void shouldLandEveryWriteOfABurstToATopicCreatedThatMoment() {
        // The first writes to a new topic used to race its partitions' opening: a first batch
        // refused, a later one accepted, the first then refused forever (OutOfOrderSequenceException).
        for (int round = 0; round < 10; round++) {
            String ns = "burst" + round + "x" + System.nanoTime();
            try (ChangeWriter w = writer(ns)) {
                for (int i = 0; i < 2000; i++) {
                    w.put(String.format("b|%05d", i), "v" + i);
                }
                w.flush(); // throws naming the first failed key if any write was lost
            }
            assertEquals(2000, readAll(ns + ".b", 2000).size(), "round " + round);
        }
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", runtime.bootstrapServers()))) {
            assertDoesNotThrow(() -> TopicsReady.await(admin, List.of("no-such-topic")).get(30, TimeUnit.SECONDS),
                    "the probe never fails a write by itself");
        }
    }

    @Test
    void shouldLandRecordsInTheirPartitionKeysPartitionAndDecodeBack() throws Exception {
        try (ChangeWriter w = writer("landing")) {
            List<CompletableFuture<WritePosition>> fs = new ArrayList<>();
            for (int u = 0; u < 20; u++) {
                for (int t = 0; t < 5; t++) {
                    fs.add(w.put(String.format("t|%08d|%010d", u, t), "v" + u + "-" + t));
                }
            }
            for (int i = 0; i < fs.size(); i++) {
                WritePosition p = fs.get(i).get(30, TimeUnit.SECONDS);
                assertEquals("landing.t", p.topic());
                String key = String.format("t|%08d|%010d", i / 5, i % 5);
                assertEquals(PartitionRule.standard().partition(key.getBytes(), 8), p.partition(), key);
            }
            List<ConsumerRecord<byte[], byte[]>> recs = readAll("landing.t", 100);
            assertEquals(100, recs.size());
            ChangeSerde.ChangeDeserializer d = new ChangeSerde.ChangeDeserializer(SchemaRegistryClient.shared(runtime.schemaRegistryUrl()));
            for (ConsumerRecord<byte[], byte[]> r : recs) {
                String key = new String(r.key(), StandardCharsets.UTF_8);
                assertEquals(PartitionRule.standard().partition(r.key(), 8), r.partition());
                Change c = d.deserialize(r.topic(), r.value());
                assertEquals(Operation.PUT, c.getOp());
                String[] f = key.split("\\|");
                assertEquals("v" + Integer.parseInt(f[1]) + "-" + Integer.parseInt(f[2]), StandardCharsets.UTF_8.decode(c.getValue()).toString());
            }
        }
    }

    @Test
    void shouldWriteEraseAsTombstoneAndReadModifyWriteAsOperations() throws Exception {
        try (ChangeWriter w = writer("ops")) {
            w.put("kv|a", "1").get();
            w.increment("kv|a", 5).get();
            w.incrementFloat("kv|a", "0.5").get();
            w.append("kv|a", "x").get();
            w.prepend("kv|a", "y").get();
            WritePosition erased = w.erase("kv|a").get();
            List<ConsumerRecord<byte[], byte[]>> recs = readAll("ops.kv", 6);
            assertEquals(6, recs.size());
            ChangeSerde.ChangeDeserializer d = new ChangeSerde.ChangeDeserializer(SchemaRegistryClient.shared(runtime.schemaRegistryUrl()));
            List<Operation> ops = recs.subList(0, 5).stream().map(r -> d.deserialize(r.topic(), r.value()).getOp()).toList();
            assertEquals(List.of(Operation.PUT, Operation.INCR, Operation.INCRF, Operation.APPEND, Operation.PREPEND), ops);
            ConsumerRecord<byte[], byte[]> last = recs.get(5);
            assertNull(last.value(), "erase is a tombstone");
            assertEquals(erased.offset(), last.offset());
        }
    }

    @Test
    void shouldFailTheFlushNamingTheFirstWriteKafkaRefusedWhenNobodyLookedAtItsFuture() throws Exception {
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", runtime.bootstrapServers()))) {
            // a table topic made by hand with a smaller record limit than Pequod's: the broker refuses what is over it
            admin.createTopics(List.of(new NewTopic("refused.kv", 1, (short) 1).configs(Map.of("cleanup.policy", "compact",
                    "max.message.bytes", "4096")))).all().get(30, TimeUnit.SECONDS);
            TopicsReady.await(admin, List.of("refused.kv")).get(30, TimeUnit.SECONDS);
        }
        try (ChangeWriter w = writer("refused")) {
            w.put("kv|before", "fine").get(30, TimeUnit.SECONDS);
            StringBuilder random = new StringBuilder(); // lz4 cannot shrink it under the topic's limit
            Random r = new Random(1);
            for (int i = 0; i < 100_000; i++) {
                random.append((char) ('a' + r.nextInt(26)));
            }
            w.put("kv|huge", random.toString()); // within the value limit, over the topic's
            w.put("kv|after", "fine");
            WriteFailedException e = assertThrows(WriteFailedException.class, w::flush);
            assertTrue(e.getMessage().startsWith("1 write(s) failed since the last flush; the first: Write of key 'kv|huge' to refused.kv"),
                    e.getMessage());
            w.flush(); // reported once
        }
    }

    @Test
    void shouldCreateCompactedTopicsWithConfiguredPartitions() throws Exception {
        try (ChangeWriter w = writer("created")) {
            w.put("p|00000001|1000000000", "hello").get();
        }
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", runtime.bootstrapServers()))) {
            assertEquals(8, admin.describeTopics(List.of("created.p")).allTopicNames().get().get("created.p").partitions().size());
            ConfigResource res = new ConfigResource(ConfigResource.Type.TOPIC, "created.p");
            Config cfg = admin.describeConfigs(List.of(res)).all().get().get(res);
            assertEquals("compact", cfg.get("cleanup.policy").value());
        }
    }

    @Test
    void shouldLoadGoodLinesAndReportBadOnesByLineNumber() throws Exception {
        String input = String.join("\n",
                "{\"key\": \"s|00000001|00000002\", \"value\": \"1\"}",
                "{\"key\": \"s|00000001|00000003\", \"value\": \"1\"",
                "",
                "{\"key\": \"|nope\", \"value\": \"1\"}",
                "{\"key\": \"s|00000001|00000003\", \"value\": {\"n\": 1}}",
                "{\"key\": \"s|00000001|00000002\", \"erase\": true}",
                "{\"value\": \"1\"}");
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        BulkLoader.Summary s;
        try (ChangeWriter w = writer("load")) {
            s = new BulkLoader(w, new PrintStream(err, true, StandardCharsets.UTF_8), false)
                    .load(new ByteArrayInputStream(input.getBytes(StandardCharsets.UTF_8)), 0, "in.jsonl");
        }
        assertEquals(3, s.records());
        assertEquals(3, s.skipped());
        String report = err.toString(StandardCharsets.UTF_8);
        assertTrue(report.contains("in.jsonl:2: skipped: unreadable JSON"), report);
        assertTrue(report.contains("in.jsonl:4: skipped: Invalid key: key '|nope' has an empty table name"), report);
        assertTrue(report.contains("in.jsonl:7: skipped: missing string field \"key\""), report);
        List<ConsumerRecord<byte[], byte[]>> recs = readAll("load.s", 3);
        assertEquals(3, recs.size());
        assertNull(recs.get(2).value());
    }
}
