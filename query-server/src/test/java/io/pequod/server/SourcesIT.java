package io.pequod.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.pequod.embedded.EmbeddedRuntime;
import io.pequod.embedded.Files2;
import io.pequod.schemas.ChangeSerde;
import io.pequod.schemas.SchemaRegistryClient;
import io.pequod.schemas.TableTopics;
import io.pequod.schemas.TopicsReady;
import io.pequod.views.spec.JoinSpecParser;
import org.apache.avro.Schema;
import org.apache.avro.SchemaBuilder;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericDatumWriter;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.EncoderFactory;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.Supplier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Sources end to end: records produced by a plain {@code KafkaProducer} into users' topics (Debezium
 * JSON with and without Connect's wrapper, Debezium Avro with Avro keys, Avro of two schema versions, JSON, text) reach the tables
 * and the views over them; deletes, key changes and malformed records; a restart in the middle.
 */
class SourcesIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private static final String NS = "src";
    private static final String SPEC = """
            source c from topic 'dbserver1.inventory.customers' format debezium-json key 'c|{id:08}' value '{email}'
            source o from topic 'shop.orders' format avro key 'o|{customer_id:08}|{order_id:010}' value '{total}'
            source f from topic 'follows' format json key 'f|{user:04}|{followee:04}' value '1'
            source w from topic 'words' format string key 'w|{key}' value '{value}'
            source p from topic 'dbz.avro.products' format debezium-avro key 'p|{id:04}' value '{name}'
            norders|<cust> = count o|<cust>|<order> where cust:8, order:10
            nf|<user> = count f|<user>|<followee> where user:4, followee:4
            co|<cust>|<order> = using o|<cust>|<order> copy c|<cust> where cust:8, order:10
            """;
    private static EmbeddedRuntime runtime;
    private static Path dir;
    private static PequodServer server;
    private static KafkaProducer<byte[], byte[]> producer;

    @BeforeAll
    static void start() throws Exception {
        runtime = EmbeddedRuntime.start(null);
        dir = Files.createTempDirectory("pequod-sources-");
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", runtime.bootstrapServers()))) {
            admin.createTopics(List.of(new NewTopic("dbserver1.inventory.customers", 2, (short) 1),
                    new NewTopic("shop.orders", 3, (short) 1), new NewTopic("follows", 4, (short) 1),
                    new NewTopic("dbz.avro.products", 2, (short) 1))).all().get();
            TopicsReady.await(admin, List.of("dbserver1.inventory.customers", "shop.orders", "follows", "dbz.avro.products")).get();
            // 'words' is created later: its source waits for it
        }
        producer = new KafkaProducer<>(Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, runtime.bootstrapServers(),
                ProducerConfig.ACKS_CONFIG, "all"), new ByteArraySerializer(), new ByteArraySerializer());
        server = newServer();
    }

    private static PequodServer newServer() throws Exception {
        PequodServer s = PequodServer.builder().bootstrapServers(runtime.bootstrapServers())
                .schemaRegistryUrl(runtime.schemaRegistryUrl()).namespace(NS).dataDir(dir).httpPort(0).respPort(-1).partitions(4)
                .spec(JoinSpecParser.parse("sources.pq", SPEC)).build().start();
        assertTrue(s.awaitRunning(Duration.ofMinutes(2)));
        return s;
    }

    @AfterAll
    static void stop() {
        producer.close();
        server.close();
        runtime.close();
        Files2.deleteRecursively(dir);
    }

    private static void send(String topic, String key, byte[] value) throws Exception {
        producer.send(new ProducerRecord<>(topic, key == null ? null : key.getBytes(StandardCharsets.UTF_8), value)).get();
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static Map<String, String> scan(String prefix) throws Exception {
        String q = "/v1/scan?limit=10000&first=" + enc(prefix) + "&last=" + enc(prefix.substring(0, prefix.length() - 1) + "}");
        HttpResponse<String> r = http("GET", q, null);
        assertEquals(200, r.statusCode(), r.body());
        Map<String, String> out = new TreeMap<>();
        JSON.readTree(r.body()).path("entries").forEach(e -> out.put(e.path("key").asText(), e.path("value").asText()));
        return out;
    }

    private static HttpResponse<String> http(String method, String path, String body) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.httpPort() + path))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body))
                .build(), HttpResponse.BodyHandlers.ofString());
    }

    private static String enc(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }

    private static <T> void eventually(T expected, Supplier<T> actual) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
        T last = null;
        while (System.nanoTime() < deadline) {
            last = actual.get();
            if (expected.equals(last)) {
                return;
            }
            Thread.sleep(200);
        }
        assertEquals(expected, last);
    }

    private static Map<String, String> scanQuietly(String prefix) {
        try {
            return scan(prefix);
        } catch (Exception | AssertionError e) {
            return Map.of("failed", e.toString());
        }
    }

    @Test
    void debeziumCreatesUpdatesKeyChangesAndDeletesWithAndWithoutConnectsWrapper() throws Exception {
        String t = "dbserver1.inventory.customers";
        send(t, "{\"schema\":{\"type\":\"struct\"},\"payload\":{\"id\":1001}}", utf8("{\"schema\":{\"type\":\"struct\"},"
                + "\"payload\":{\"before\":null,\"after\":{\"id\":1001,\"email\":\"sally@example.com\"},\"op\":\"r\"}}"));
        send(t, "{\"id\":1002}", utf8("{\"before\":null,\"after\":{\"id\":1002,\"email\":\"george@example.com\"},\"op\":\"c\"}"));
        send(t, "{\"id\":1003}", utf8("{\"before\":null,\"after\":{\"id\":1003,\"email\":\"ed@example.com\"},\"op\":\"c\"}"));
        send(t, "{\"id\":1002}", utf8("{\"before\":{\"id\":1002,\"email\":\"george@example.com\"},"
                + "\"after\":{\"id\":1002,\"email\":\"g@example.com\"},\"op\":\"u\"}"));
        send(t, "{\"id\":1003}", utf8("{\"before\":{\"id\":1003,\"email\":\"ed@example.com\"},"
                + "\"after\":{\"id\":1004,\"email\":\"ed@example.com\"},\"op\":\"u\"}"));
        send(t, "{\"id\":1001}", utf8("{\"before\":{\"id\":1001,\"email\":\"sally@example.com\"},\"after\":null,\"op\":\"d\"}"));
        send(t, "{\"id\":1001}", null);
        send(t, "{\"id\":1005}", utf8("{\"before\":null,\"after\":{\"id\":1005},\"op\":\"c\"}")); // no email: dead letter
        eventually(Map.of("c|00001002", "g@example.com", "c|00001004", "ed@example.com"), () -> {
            Map<String, String> m = new TreeMap<>(scanQuietly("c|"));
            m.keySet().removeIf(k -> k.startsWith("c|00002")); // the Avro test's customers
            return m;
        });

        List<ConsumerRecord<byte[], byte[]>> dead = deadLetters(1);
        Map<String, String> h = headers(dead.get(0));
        assertEquals("field email is missing (template part {email})", h.get("pequod.dlq.reason"));
        assertEquals(t, h.get("pequod.dlq.topic"));
        assertTrue(new String(dead.get(0).value(), StandardCharsets.UTF_8).contains("\"id\":1005"));

        HttpResponse<String> health = http("GET", "/health", null);
        JsonNode sources = JSON.readTree(health.body()).path("sources");
        assertTrue(sources.size() >= 5, health.body()); // and the installed one, if that test ran first
        assertTrue(health.body().contains("\"topic\":\"" + t + "\""), health.body());
        assertTrue(http("GET", "/metrics", null).body().contains("pequod_source_lag_records{"), "source lag exported");
    }

    @Test
    void avroOfTwoSchemaVersionsFeedsAViewAndAJoinWithDebeziumRows() throws Exception {
        SchemaRegistryClient registry = SchemaRegistryClient.create(runtime.schemaRegistryUrl(), Duration.ofSeconds(10));
        Schema v1 = SchemaBuilder.record("Order").namespace("shop").fields().requiredLong("customer_id").requiredLong("order_id")
                .requiredString("total").endRecord();
        Schema v2 = SchemaBuilder.record("Order").namespace("shop").fields().requiredLong("customer_id")
                .requiredLong("order_id").requiredString("total").optionalString("coupon").endRecord();
        int id1 = registry.register("shop.orders-value", v1);
        int id2 = registry.register("shop.orders-value", v2);
        assertTrue(id1 != id2);
        String c = "dbserver1.inventory.customers";
        send(c, "{\"id\":2001}", utf8("{\"before\":null,\"after\":{\"id\":2001,\"email\":\"ann@example.com\"},\"op\":\"c\"}"));
        send(c, "{\"id\":2002}", utf8("{\"before\":null,\"after\":{\"id\":2002,\"email\":\"bo@example.com\"},\"op\":\"c\"}"));
        for (long order = 1; order <= 5; order++) {
            GenericRecord r = new GenericData.Record(order <= 3 ? v1 : v2);
            r.put("customer_id", order <= 2 ? 2001L : 2002L);
            r.put("order_id", order);
            r.put("total", order + ".00");
            if (order > 3) {
                r.put("coupon", "SPRING");
            }
            send("shop.orders", Long.toString(order), framed(order <= 3 ? id1 : id2, r));
        }
        send("shop.orders", "6", utf8("{\"customer_id\":1}")); // not Avro: dead letter
        eventually(Map.of("norders|00002001", "2", "norders|00002002", "3"), () -> scanQuietly("norders|"));
        eventually("5.00", () -> scanQuietly("o|").get("o|00002002|0000000005"));
        eventually(Map.of("co|00002001|0000000001", "ann@example.com", "co|00002001|0000000002", "ann@example.com",
                "co|00002002|0000000003", "bo@example.com", "co|00002002|0000000004", "bo@example.com",
                "co|00002002|0000000005", "bo@example.com"), () -> scanQuietly("co|"));
    }

    @Test
    void debeziumAvroEnvelopesWithAvroKeys() throws Exception {
        SchemaRegistryClient registry = SchemaRegistryClient.create(runtime.schemaRegistryUrl(), Duration.ofSeconds(10));
        Schema keySchema = SchemaBuilder.record("Key").namespace("dbz.avro.products").fields().requiredInt("id").endRecord();
        Schema row = SchemaBuilder.record("Value").namespace("dbz.avro.products").fields().requiredInt("id")
                .requiredString("name").endRecord();
        Schema envelope = SchemaBuilder.record("Envelope").namespace("dbz.avro.products").fields()
                .name("before").type().optional().type(row).name("after").type().optional().type(row)
                .requiredString("op").requiredLong("ts_ms").endRecord();
        int keyId = registry.register("dbz.avro.products-key", keySchema);
        int valueId = registry.register("dbz.avro.products-value", envelope);
        for (int id = 1; id <= 3; id++) {
            sendAvro(keyId, keySchema, id, valueId, envelope(envelope, row, "c", null, id, "product " + id));
        }
        sendAvro(keyId, keySchema, 2, valueId, envelope(envelope, row, "u", 2, 2, "renamed"));
        sendAvro(keyId, keySchema, 3, valueId, envelope(envelope, row, "d", 3, null, "product 3"));
        eventually(Map.of("p|0001", "product 1", "p|0002", "renamed"), () -> scanQuietly("p|"));
    }

    private static GenericRecord envelope(Schema envelope, Schema row, String op, Integer before, Integer after, String name) {
        GenericRecord e = new GenericData.Record(envelope);
        e.put("before", before == null ? null : productRow(row, before, op.equals("u") ? "product " + before : name));
        e.put("after", after == null ? null : productRow(row, after, name));
        e.put("op", op);
        e.put("ts_ms", System.currentTimeMillis());
        return e;
    }

    private static GenericRecord productRow(Schema row, int id, String name) {
        GenericRecord r = new GenericData.Record(row);
        r.put("id", id);
        r.put("name", name);
        return r;
    }

    private static void sendAvro(int keyId, Schema keySchema, int id, int valueId, GenericRecord value) throws Exception {
        GenericRecord k = new GenericData.Record(keySchema);
        k.put("id", id);
        producer.send(new ProducerRecord<>("dbz.avro.products", framed(keyId, k), framed(valueId, value))).get();
    }

    @Test
    void aSourceThatStartsLatestSkipsTheTopicsHistoryAndTwoSourcesFeedOneTable() throws Exception {
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", runtime.bootstrapServers()))) {
            admin.createTopics(List.of(new NewTopic("events.old", 1, (short) 1), new NewTopic("events.new", 1, (short) 1)))
                    .all().get();
            TopicsReady.await(admin, List.of("events.old", "events.new")).get();
        }
        for (int i = 1; i <= 5; i++) {
            send("events.old", null, utf8("{\"id\":" + i + "}"));
        }
        String spec = "source e from topic 'events.old' format json key 'e|{id:04}' value 'old' start latest\n"
                + "source e from topic 'events.new' format json key 'e|{id:04}' value 'new'\n";
        assertEquals(200, http("POST", "/v1/joins?name=events.pq", spec).statusCode());
        send("events.new", null, utf8("{\"id\":7}"));
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        int next = 100;
        while (!scanQuietly("e|").containsKey("e|0100") && System.nanoTime() < deadline) {
            if (next < 200) {
                send("events.old", null, utf8("{\"id\":" + next++ + "}")); // written once the source runs: read
            }
            Thread.sleep(200);
        }
        eventually("new", () -> scanQuietly("e|").get("e|0007"));
        Map<String, String> rows = scanQuietly("e|");
        assertEquals("old", rows.get("e|0100"), rows.toString());
        for (int i = 1; i <= 5; i++) {
            assertTrue(!rows.containsKey(String.format("e|%04d", i)), "history skipped: " + rows);
        }
    }

    @Test
    void sourceTablesRefuseUsersWritesAndATextSourceWaitsForItsTopic() throws Exception {
        HttpResponse<String> refused = http("PUT", "/v1/keys/" + enc("f|0001|0002"), "1");
        assertEquals(400, refused.statusCode(), refused.body());
        assertTrue(refused.body().contains("only its declared source"), refused.body());
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", runtime.bootstrapServers()))) {
            admin.createTopics(List.of(new NewTopic("words", 1, (short) 1))).all().get();
            TopicsReady.await(admin, List.of("words")).get();
        }
        send("words", "hello", utf8("world"));
        send("words", "bye", utf8("now"));
        send("words", "bye", null);
        eventually(Map.of("w|hello", "world"), () -> scanQuietly("w|"));
    }

    /**
     * Follows written while the server stops and starts again: the count view equals the distinct
     * rows (no gap), and the table topic holds exactly one committed record per source record (no
     * duplicate: offsets and writes commit together).
     */
    @Test
    void aRestartInTheMiddleOfASourceLosesAndRepeatsNothing() throws Exception {
        Set<String> distinct = new TreeSet<>();
        int sent = 0;
        for (int round = 0; round < 3; round++) {
            for (int i = 0; i < 1500; i++, sent++) {
                int user = sent % 37;
                int followee = (sent * 7) % 101;
                distinct.add(user + "|" + followee);
                producer.send(new ProducerRecord<>("follows", null,
                        utf8("{\"user\":" + user + ",\"followee\":" + followee + "}")));
            }
            producer.flush();
            if (round == 0) {
                Thread.sleep(300); // part of it applied
                server.close();
            } else if (round == 1) {
                server = newServer();
            }
        }
        int expectedTotal = distinct.size();
        eventually(expectedTotal, () -> scanQuietly("nf|").values().stream().mapToInt(Integer::parseInt).sum());
        // A read_committed reader stops at a transaction the closed instance left open until the
        // coordinator aborts it (Streams' 10 s transaction timeout): count again until then.
        long committed = committedRecords(TableTopics.of(NS).tableTopic("f"));
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (committed < sent && System.nanoTime() < deadline) {
            Thread.sleep(1000);
            committed = committedRecords(TableTopics.of(NS).tableTopic("f"));
        }
        assertEquals(sent, committed, "one table record per source record");
    }

    private static long committedRecords(String topic) {
        try (KafkaConsumer<byte[], byte[]> c = consumer("read_committed")) {
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

    private static List<ConsumerRecord<byte[], byte[]>> deadLetters(int atLeast) {
        List<ConsumerRecord<byte[], byte[]>> out = new ArrayList<>();
        try (KafkaConsumer<byte[], byte[]> c = consumer("read_committed")) {
            String topic = TableTopics.of(NS).deadLetters();
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (c.partitionsFor(topic).isEmpty() && System.nanoTime() < deadline) {
                Thread.onSpinWait();
            }
            List<TopicPartition> tps = c.partitionsFor(topic).stream().map(p -> new TopicPartition(topic, p.partition())).toList();
            c.assign(tps);
            c.seekToBeginning(tps);
            while (out.size() < atLeast && System.nanoTime() < deadline) {
                c.poll(Duration.ofMillis(200)).forEach(r -> {
                    if (headers(r).getOrDefault("pequod.dlq.topic", "").equals("dbserver1.inventory.customers")) {
                        out.add(r);
                    }
                });
            }
        }
        return out;
    }

    private static KafkaConsumer<byte[], byte[]> consumer(String isolation) {
        return new KafkaConsumer<>(Map.of(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, runtime.bootstrapServers(),
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, isolation, ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false),
                new ByteArrayDeserializer(), new ByteArrayDeserializer());
    }

    private static Map<String, String> headers(ConsumerRecord<byte[], byte[]> r) {
        Map<String, String> out = new TreeMap<>();
        for (Header h : r.headers()) {
            out.put(h.key(), new String(h.value(), StandardCharsets.UTF_8));
        }
        return out;
    }

    private static byte[] framed(int id, GenericRecord r) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(ChangeSerde.MAGIC_BYTE);
        out.write(ByteBuffer.allocate(4).putInt(id).array());
        BinaryEncoder enc = EncoderFactory.get().binaryEncoder(out, null);
        new GenericDatumWriter<GenericRecord>(r.getSchema()).write(r, enc);
        enc.flush();
        return out.toByteArray();
    }

    @Test
    void aSourceAndAViewInstalledIntoTheRunningServer() throws Exception {
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", runtime.bootstrapServers()))) {
            admin.createTopics(List.of(new NewTopic("likes", 2, (short) 1))).all().get();
            TopicsReady.await(admin, List.of("likes")).get();
        }
        for (int i = 0; i < 30; i++) {
            send("likes", null, utf8("{\"post\":" + (i % 3) + ",\"user\":" + i + "}"));
        }
        String spec = "source l from topic 'likes' format json key 'l|{post:04}|{user:04}' value '1'\n"
                + "nl|<post> = count l|<post>|<user> where post:4, user:4\n";
        HttpResponse<String> r = http("POST", "/v1/joins?name=likes.pq", spec);
        assertEquals(200, r.statusCode(), r.body());
        assertTrue(r.body().contains("source l from topic 'likes'"), r.body());
        assertTrue(http("GET", "/v1/joins", null).body().contains("\"text\":\"source l from topic 'likes' format json"),
                "GET /v1/joins lists the sources");
        eventually(Map.of("nl|0000", "10", "nl|0001", "10", "nl|0002", "10"), () -> scanQuietly("nl|"));
        HttpResponse<String> bad = http("POST", "/v1/joins?name=bad.pq", "source l2 from topic 'likes' format json key 'x|{a}' value '1'");
        assertEquals(400, bad.statusCode(), bad.body());
        assertTrue(bad.body().contains("bad.pq:1:46: key template 'x|{a}' must start with the table name"), bad.body());
    }
}
