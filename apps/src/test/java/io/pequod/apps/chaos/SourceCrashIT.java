package io.pequod.apps.chaos;

import io.pequod.apps.workload.ShopWorkload;
import io.pequod.embedded.EmbeddedRuntime;
import io.pequod.embedded.Ports;
import io.pequod.schemas.TopicsReady;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * A source killed in the middle ({@code kill -9} of a real {@code serve} process while records of
 * the source's topic are being applied), then restarted: the count view over the source equals the
 * distinct rows produced (no gap), and the table topic holds exactly one committed record per
 * source record (no duplicate: the table writes and the consumed offsets commit together).
 */
@Timeout(600)
class SourceCrashIT {
    private static final String VIEW_READ = "/v1/scan?first=nf%7C&last=nf%7D&limit=10000";

    @Test
    void aKilledSourceNeitherRepeatsNorSkipsARecord(@TempDir Path dir) throws Exception {
        try (EmbeddedRuntime rt = EmbeddedRuntime.start(dir.resolve("kafka"), 0, 0);
             KafkaProducer<String, String> producer = new KafkaProducer<>(Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG,
                     rt.bootstrapServers(), ProducerConfig.ACKS_CONFIG, "all"), new StringSerializer(), new StringSerializer())) {
            try (Admin admin = Admin.create(Map.of("bootstrap.servers", rt.bootstrapServers()))) {
                admin.createTopics(List.of(new NewTopic("follows", 4, (short) 1))).all().get();
                TopicsReady.await(admin, List.of("follows")).get();
            }
            Path spec = dir.resolve("crash.pq");
            Files.writeString(spec, "source f from topic 'follows' format json key 'f|{user:04}|{followee:04}' value '1'\n"
                    + "nf|<user> = count f|<user>|<followee> where user:4, followee:4\n");
            List<String> args = List.of("--joins", spec.toString(), "--partitions", "4", "--resp-port", "-1", "--namespace", "crash",
                    "--bootstrap-servers", rt.bootstrapServers(), "--schema-registry", rt.schemaRegistryUrl());
            int port = Ports.free();
            ServeProcess a = new ServeProcess("instance", dir.resolve("a"), port, args, List.of()).start();
            Set<String> distinct = new HashSet<>();
            int sent = 0;
            try {
                a.awaitServing(VIEW_READ, Duration.ofMinutes(3));
                sent = produce(producer, sent, 40_000, distinct);
                Thread.sleep(100); // the source is applying them
                a.kill();
                sent = produce(producer, sent, 5_000, distinct); // while it is down
                a = new ServeProcess("instance", dir.resolve("a"), port, args, List.of()).start();
                a.awaitServing(VIEW_READ, Duration.ofMinutes(3));
                sent = produce(producer, sent, 5_000, distinct);
                long deadline = System.nanoTime() + Duration.ofMinutes(3).toNanos();
                long counted = -1;
                while (counted != distinct.size() && System.nanoTime() < deadline) {
                    counted = viewTotal(a.url());
                    Thread.sleep(250);
                }
                assertEquals(distinct.size(), counted, "the count view equals the distinct rows produced");
                // A read_committed reader stops at the killed instance's open transaction until the
                // coordinator aborts it (Streams' transaction timeout, 10 s); then every record is there once.
                long committed = committedRecords(rt.bootstrapServers(), "crash.f");
                while (committed != sent && System.nanoTime() < deadline) {
                    Thread.sleep(1_000);
                    committed = committedRecords(rt.bootstrapServers(), "crash.f");
                }
                assertEquals(sent, committed, "one table record per source record");
            } finally {
                a.close();
            }
        }
    }

    private static int produce(KafkaProducer<String, String> producer, int from, int n, Set<String> distinct) {
        for (int i = from; i < from + n; i++) {
            int user = i % 53;
            int followee = (i * 31) % 997;
            distinct.add(user + "|" + followee);
            producer.send(new ProducerRecord<>("follows", "{\"user\":" + user + ",\"followee\":" + followee + "}"));
        }
        producer.flush();
        return from + n;
    }

    private static long viewTotal(String url) {
        try {
            return ShopWorkload.scan(url, "nf").values().stream().mapToLong(Long::parseLong).sum();
        } catch (Exception e) {
            return -1;
        }
    }

    private static long committedRecords(String bootstrap, String topic) {
        try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(Map.of(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed"), new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            List<TopicPartition> tps = c.partitionsFor(topic).stream().map(p -> new TopicPartition(topic, p.partition())).toList();
            c.assign(tps);
            c.seekToBeginning(tps);
            Map<TopicPartition, Long> ends = c.endOffsets(tps);
            long n = 0;
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (tps.stream().anyMatch(tp -> c.position(tp) < ends.get(tp)) && System.nanoTime() < deadline) {
                n += c.poll(Duration.ofMillis(200)).count();
            }
            return n;
        }
    }
}
