package io.pequod.views.internals.compile;

import io.pequod.schemas.ChangeSerde;
import io.pequod.schemas.Changes;
import io.pequod.schemas.PartitionRule;
import io.pequod.schemas.SchemaRegistryClient;
import io.pequod.schemas.TableTopics;
import io.pequod.schemas.avro.Change;
import io.pequod.views.spec.JoinSpecParser;
import io.pequod.views.spec.SourceDeclaration;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

/** A Debezium source's topology in TopologyTestDriver: table changes in order, dead letters with reason and origin. */
class SourceTopologyTest {
    @Test
    void shouldWriteTableChangesAndDeadLetters() {
        SchemaRegistryClient registry = SchemaRegistryClient.shared("mem://" + UUID.randomUUID());
        TableTopics topics = TableTopics.of("t");
        SourceDeclaration d = JoinSpecParser.parse("s.pq", "source c from topic 'db.customers' format debezium-json "
                + "key 'c|{id:04}' value '{email}'").sources().get(0);
        AtomicLong perSource = new AtomicLong();
        AtomicLong total = new AtomicLong();
        Properties p = new Properties();
        p.put(StreamsConfig.APPLICATION_ID_CONFIG, "source-test");
        p.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
        try (TopologyTestDriver driver = new TopologyTestDriver(SourceTopology.build(d, "source-test", topics,
                PartitionRule.standard(), registry, perSource, total), p)) {
            TestInputTopic<byte[], byte[]> in = driver.createInputTopic("db.customers", new ByteArraySerializer(),
                    new ByteArraySerializer());
            TestOutputTopic<byte[], Change> table = driver.createOutputTopic(topics.tableTopic("c"), new ByteArrayDeserializer(),
                    new ChangeSerde(registry).deserializer());
            TestOutputTopic<byte[], byte[]> dead = driver.createOutputTopic(topics.deadLetters(), new ByteArrayDeserializer(),
                    new ByteArrayDeserializer());
            in.pipeInput(b("{\"id\":1}"), b("{\"after\":{\"id\":1,\"email\":\"a@x\"},\"op\":\"c\"}"));
            in.pipeInput(b("{\"id\":1}"), b("{\"before\":{\"id\":1,\"email\":\"a@x\"},\"after\":{\"id\":2,\"email\":\"a@x\"},"
                    + "\"op\":\"u\"}"));
            in.pipeInput(b("{\"id\":3}"), b("not json"));
            in.pipeInput(b("{\"id\":2}"), b("{\"before\":{\"id\":2,\"email\":\"a@x\"},\"op\":\"d\"}"));
            in.pipeInput(b("{\"id\":2}"), (byte[]) null);

            Map<String, String> changes = new LinkedHashMap<>();
            List<TestRecord<byte[], Change>> out = table.readRecordsToList();
            assertEquals(4, out.size());
            out.forEach(r -> changes.merge(s(r.key()), r.value() == null ? "<erase>" : s(Changes.bytes(r.value().getValue())),
                    (a, x) -> a + "," + x));
            assertEquals(Map.of("c|0001", "a@x,<erase>", "c|0002", "a@x,<erase>"), changes);
            assertNull(out.get(1).value(), "the key change erases the old key first");

            TestRecord<byte[], byte[]> letter = dead.readRecord();
            Map<String, String> h = new HashMap<>();
            for (Header x : letter.headers()) {
                h.put(x.key(), s(x.value()));
            }
            assertEquals("db.customers", h.get("pequod.dlq.topic"));
            assertEquals("2", h.get("pequod.dlq.offset"));
            assertEquals("source-test", h.get("pequod.dlq.application"));
            assertEquals("value is not JSON", h.get("pequod.dlq.reason").substring(0, 17));
            assertEquals("not json", s(letter.value()));
            assertEquals(1, perSource.get());
            assertEquals(1, total.get());
        }
    }

    private static byte[] b(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static String s(byte[] b) {
        return new String(b, StandardCharsets.UTF_8);
    }
}
