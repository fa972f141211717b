package io.pequod.embedded;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

@Timeout(240)
class EmbeddedKafkaIT {
    @Test
    void shouldKeepTopicsAndRecordsAcrossRestartOnSameDataDir(@TempDir Path dir) throws Exception {
        String first;
        try (EmbeddedKafka kafka = EmbeddedKafka.builder().dataDir(dir).build().start()) {
            first = kafka.bootstrapServers();
            try (Admin admin = Admin.create(Map.of("bootstrap.servers", kafka.bootstrapServers()))) {
                admin.createTopics(List.of(new NewTopic("kept", 2, (short) 1))).all().get();
            }
            try (KafkaProducer<String, String> p = new KafkaProducer<>(Map.of("bootstrap.servers", kafka.bootstrapServers()),
                    new StringSerializer(), new StringSerializer())) {
                for (int i = 0; i < 10; i++) {
                    p.send(new ProducerRecord<>("kept", "k" + i, "v" + i)).get();
                }
            }
        }
        assertTrue(Files.exists(dir.resolve("kafka-logs/meta.properties")));
        try (EmbeddedKafka kafka = EmbeddedKafka.builder().dataDir(dir).build().start()) {
            List<String> values = new ArrayList<>();
            try (KafkaConsumer<String, String> c = new KafkaConsumer<>(Map.of("bootstrap.servers", kafka.bootstrapServers()),
                    new StringDeserializer(), new StringDeserializer())) {
                List<TopicPartition> tps = List.of(new TopicPartition("kept", 0), new TopicPartition("kept", 1));
                c.assign(tps);
                c.seekToBeginning(tps);
                long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
                while (values.size() < 10 && System.nanoTime() < deadline) {
                    for (ConsumerRecord<String, String> r : c.poll(Duration.ofMillis(200))) {
                        values.add(r.value());
                    }
                }
            }
            assertEquals(10, values.size());
        }
    }

    @Test
    void shouldRefuseToStartTwice() {
        try (EmbeddedKafka kafka = EmbeddedKafka.builder().build().start()) {
            IllegalStateException e = assertThrows(IllegalStateException.class, kafka::start);
            assertEquals("Embedded Kafka is already started on " + kafka.bootstrapServers(), e.getMessage());
        }
    }

    @Test
    void shouldNameInvalidPort() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> EmbeddedKafka.builder().brokerPort(70000));
        assertEquals("Invalid value 70000 for brokerPort: must be between 0 (pick a free port) and 65535", e.getMessage());
    }
}
