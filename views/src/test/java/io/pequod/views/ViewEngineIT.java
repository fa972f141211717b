package io.pequod.views;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.pequod.embedded.EmbeddedRuntime;
import io.pequod.ingest.ChangeWriter;
import io.pequod.schemas.Range;
import io.pequod.views.internals.processor.DeadLetter;
import io.pequod.views.spec.Join;
import io.pequod.views.spec.JoinSpec;
import io.pequod.views.spec.JoinSpecException;
import io.pequod.views.spec.JoinSpecParser;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.StoreQueryParameters;
import org.apache.kafka.streams.errors.InvalidStateStoreException;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.QueryableStoreTypes;
import org.apache.kafka.streams.state.ReadOnlyKeyValueStore;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.Comparator;
import java.util.stream.Stream;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The view engine end to end through the embedded broker: golden files, a differential test, dead letters, restarts. */
@Timeout(600)
class ViewEngineIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static EmbeddedRuntime runtime;
    private static int namespaces;

    @TempDir
    Path stateDir;

    @BeforeAll
    static void start() {
        runtime = EmbeddedRuntime.start(null);
    }

    @AfterAll
    static void stop() {
        runtime.close();
    }

    private static synchronized String newNamespace(String base) {
        return base.replaceAll("[^A-Za-z0-9]", "") + (++namespaces);
    }

    private ViewEngine engine(String ns, JoinSpec spec, Path dir) throws InterruptedException {
        return engine(ns, spec, dir, false);
    }

    private ViewEngine engine(String ns, JoinSpec spec, Path dir, boolean exactlyOnce) throws InterruptedException {
        ViewEngine e = ViewEngine.builder().bootstrapServers(runtime.bootstrapServers()).schemaRegistryUrl(runtime.schemaRegistryUrl())
                .namespace(ns).spec(spec).stateDir(dir).partitions(4).exactlyOnce(exactlyOnce).build().start();
        assertTrue(e.awaitRunning(Duration.ofSeconds(120)), "engine running: " + e.state());
        return e;
    }

    private static ChangeWriter writer(String ns, ViewEngine e) {
        return ChangeWriter.builder().bootstrapServers(runtime.bootstrapServers()).schemaRegistryUrl(runtime.schemaRegistryUrl())
                .namespace(ns).partitions(4).partitionRule(e.partitionRule()).build();
    }

    static TreeMap<String, String> read(ViewEngine e, String table) {
        TreeMap<String, String> out = new TreeMap<>();
        try (KeyValueIterator<Bytes, byte[]> it = e.catalog().store(table).all()) {
            while (it.hasNext()) {
                KeyValue<Bytes, byte[]> kv = it.next();
                out.put(new String(kv.key.get(), StandardCharsets.UTF_8), new String(kv.value, StandardCharsets.UTF_8));
            }
        } catch (InvalidStateStoreException notYet) {
            return out;
        }
        return out;
    }

    static <T> T eventually(Supplier<T> actual, T expected, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        T last = actual.get();
        while (!expected.equals(last) && System.nanoTime() < deadline) {
            Thread.sleep(100);
            last = actual.get();
        }
        return last;
    }

    @ParameterizedTest(name = "golden {0}")
    @ValueSource(strings = {"twitter", "newp", "aggregates", "three-source", "newp exactly-once"})
    void shouldMatchGoldenFiles(String test) throws Exception {
        String name = test.split(" ")[0];
        Path dir = Path.of("src/test/resources/specs", name);
        JoinSpec spec = JoinSpecParser.parse(dir.resolve("spec.pq"));
        String ns = newNamespace(name);
        try (ViewEngine e = engine(ns, spec, stateDir, test.endsWith("exactly-once")); ChangeWriter w = writer(ns, e)) {
            for (String line : Files.readAllLines(dir.resolve("input.jsonl"))) {
                JsonNode n = JSON.readTree(line);
                if (n.path("erase").asBoolean(false)) {
                    w.erase(n.get("key").asText());
                } else {
                    w.put(n.get("key").asText(), n.get("value").asText());
                }
                w.flush(); // one by one, as the file orders them
            }
            TreeMap<String, String> expected = new TreeMap<>();
            for (String line : Files.readAllLines(dir.resolve("expected.jsonl"))) {
                JsonNode n = JSON.readTree(line);
                expected.put(n.get("key").asText(), n.get("value").asText());
            }
            Supplier<TreeMap<String, String>> views = () -> {
                TreeMap<String, String> all = new TreeMap<>();
                spec.materializedViewTables().forEach(t -> all.putAll(read(e, t)));
                return all;
            };
            assertEquals(expected, eventually(views, expected, Duration.ofSeconds(90)));
        }
    }

    @Test
    void shouldEqualNaiveEvaluationAfterRandomPutsAndErases() throws Exception {
        JoinSpec spec = JoinSpecParser.parse("random.pq", """
                t|<user>|<time>|<poster> = copy p|<poster>|<time> using s|<user>|<poster> where user:8, time:10, poster:8
                k|<author> = count v|<author><seqid>|<voter> where author:7, seqid:7, voter:7
                """);
        String ns = newNamespace("random");
        Random rnd = new Random(20261121);
        Map<String, TreeMap<byte[], byte[]>> base = new HashMap<>();
        for (String t : List.of("s", "p", "v")) {
            base.put(t, new TreeMap<>(Arrays::compareUnsigned));
        }
        try (ViewEngine e = engine(ns, spec, stateDir); ChangeWriter w = writer(ns, e)) {
            for (int i = 0; i < 3000; i++) {
                String key;
                int kind = rnd.nextInt(3);
                if (kind == 0) {
                    key = String.format("s|%08d|%08d", rnd.nextInt(20), rnd.nextInt(20));
                } else if (kind == 1) {
                    key = String.format("p|%08d|%010d", rnd.nextInt(20), rnd.nextInt(60));
                } else {
                    key = String.format("v|%07d%07d|%07d", rnd.nextInt(10), rnd.nextInt(5), rnd.nextInt(15));
                }
                TreeMap<byte[], byte[]> table = base.get(key.substring(0, 1));
                if (rnd.nextInt(4) == 0) {
                    w.erase(key);
                    table.remove(key.getBytes(StandardCharsets.UTF_8));
                } else {
                    String v = "v" + rnd.nextInt(1000);
                    w.put(key, v);
                    table.put(key.getBytes(StandardCharsets.UTF_8), v.getBytes(StandardCharsets.UTF_8));
                }
            }
            w.flush();
            JoinEvaluator.SourceReader reader = (t, r) -> new ArrayList<>(base.get(t).subMap(r.first(), r.last()).entrySet());
            TreeMap<String, String> expected = new TreeMap<>();
            for (Join j : spec.joins()) {
                JoinEvaluator.evaluate(j, reader, null).forEach((k, v) ->
                        expected.put(new String(k, StandardCharsets.UTF_8), new String(v, StandardCharsets.UTF_8)));
            }
            Supplier<TreeMap<String, String>> actual = () -> {
                TreeMap<String, String> all = new TreeMap<>(read(e, "t"));
                read(e, "k").forEach((k, v) -> {
                    if (!v.equals("0")) { // counts stay at "0"; the naive evaluation has no key for them
                        all.put(k, v);
                    }
                });
                return all;
            };
            TreeMap<String, String> got = eventually(actual, expected, Duration.ofSeconds(120));
            assertTrue(expected.size() > 200, "the random data should make a sizable view: " + expected.size());
            assertEquals(expected, got);
        }
    }

    /** Views read the tables application's values: increments are applied once, in log order, and settle waits for both. */
    @ParameterizedTest(name = "exactly-once {0}")
    @ValueSource(booleans = {false, true})
    void viewsShouldFollowReadModifyWriteChangesAndSettle(boolean exactlyOnce) throws Exception {
        JoinSpec spec = JoinSpecParser.parse("rmw.pq", "sm|<g> = sum v|<g>|<k>\nn|<g> = count v|<g>|<k>");
        String ns = newNamespace("rmw");
        try (ViewEngine e = engine(ns, spec, stateDir, exactlyOnce); ChangeWriter w = writer(ns, e)) {
            w.increment("v|a|1", 5);
            w.increment("v|a|1", 5);
            w.put("v|a|2", "7");
            w.increment("v|a|2", -7);
            w.increment("v|b|1", 3);
            w.flush();
            assertTrue(e.awaitSettled(Duration.ofSeconds(60)));
            // Read at once after settling: no waiting here, so the settle is what is tested too.
            assertEquals(Map.of("v|a|1", "10", "v|a|2", "0", "v|b|1", "3"), read(e, "v"));
            assertEquals(Map.of("sm|a", "10", "sm|b", "3"), read(e, "sm"));
            assertEquals(Map.of("n|a", "2", "n|b", "1"), read(e, "n"));
        }
    }

    @Test
    void shouldReadRunningStoresDirectlyAndStopWhenTheirTasksStop() throws Exception {
        JoinSpec spec = JoinSpecParser.parse("direct.pq", "t|<u>|<p> = copy p|<p> using s|<u>|<p>");
        String ns = newNamespace("direct");
        ViewEngine e = engine(ns, spec, stateDir);
        try (ChangeWriter w = writer(ns, e)) {
            for (int i = 0; i < 40; i++) {
                w.put("s|u" + (i % 5) + "|p" + i, "1");
            }
            w.flush();
            assertTrue(e.awaitSettled(Duration.ofSeconds(60)));
            ViewCatalog c = e.catalog();
            int total = 0;
            for (int part = 0; part < c.partitions("s"); part++) {
                // The running store (straight from its processor) and Interactive Queries' handle agree.
                ReadOnlyKeyValueStore<Bytes, byte[]> direct = c.store("s", part, false);
                ReadOnlyKeyValueStore<Bytes, byte[]> viaStreams = c.streams("s").store(
                        StoreQueryParameters.fromNameAndType(c.storeName("s"),
                                QueryableStoreTypes.<Bytes, byte[]>keyValueStore()).withPartition(part));
                assertTrue(c.isActiveHere("s", part), "partition " + part + " is read directly");
                assertEquals(keys(viaStreams), keys(direct), "partition " + part);
                total += keys(direct).size();
            }
            assertEquals(40, total);
        } finally {
            e.close();
        }
        // Closed tasks deregister their stores: reads go back to Streams, which says the store is gone.
        ViewCatalog closed = e.catalog();
        Assertions.assertThrows(InvalidStateStoreException.class,
                () -> keys(closed.store("s", 0, false)));
    }

    private static List<String> keys(ReadOnlyKeyValueStore<Bytes, byte[]> store) {
        List<String> out = new ArrayList<>();
        try (KeyValueIterator<Bytes, byte[]> it = store.all()) {
            it.forEachRemaining(kv -> out.add(new String(kv.key.get(), StandardCharsets.UTF_8)));
        }
        return out;
    }

    @Test
    void shouldSendBadRecordsToDeadLettersAndKeepProcessing() throws Exception {
        JoinSpec spec = JoinSpecParser.parse("dlq.pq", "cnt|<g> = count v|<g>|<k>");
        String ns = newNamespace("dlq");
        try (ViewEngine e = engine(ns, spec, stateDir); ChangeWriter w = writer(ns, e)) {
            try (KafkaProducer<byte[], byte[]> raw = new KafkaProducer<>(Map.of("bootstrap.servers", runtime.bootstrapServers()),
                    new ByteArraySerializer(), new ByteArraySerializer())) {
                raw.send(new ProducerRecord<>(ns + ".v", 0, "v|a|bad".getBytes(), "{\"not\": \"avro\"}".getBytes())).get();
            }
            w.put("v|a|1", "x").get();
            w.put("v|a|2", "y").get();
            assertEquals(Map.of("cnt|a", "2"), eventually(() -> read(e, "cnt"), Map.of("cnt|a", "2"), Duration.ofSeconds(60)));
            ConsumerRecord<byte[], byte[]> dl = readOne(ns + ".dead-letters");
            assertEquals("Record value in topic " + ns + ".v is not in the Confluent wire format: first byte is 0x7b, expected 0x00",
                    header(dl, DeadLetter.REASON));
            assertEquals(ns + ".v", header(dl, DeadLetter.TOPIC));
            assertEquals("0", header(dl, DeadLetter.PARTITION));
            assertEquals("v|a|bad", new String(dl.key(), StandardCharsets.UTF_8));
            assertEquals(1, e.deadLetterCount());
        }
    }

    /** A timeline and a view of it (timeline rows per user). */
    private static final String TIMELINE_AND_COUNTS = "t|<user>|<time>|<poster> = copy p|<poster>|<time> using s|<user>|<poster>"
            + " where user:8, time:10, poster:8\nn|<user> = count t|<user>|<time>|<poster>";

    @Test
    void shouldComputeViewsInsideTheTablesApplicationAndRebuildOneOnItsOwnUnderWrites(@TempDir Path dir) throws Exception {
        String ns = newNamespace("inside");
        JoinSpec spec = JoinSpecParser.parse("i.pq", TIMELINE_AND_COUNTS);
        Map<String, String> timeline = new TreeMap<>();
        Map<String, String> counts = new TreeMap<>();
        Runnable expect = () -> {
            counts.clear();
            timeline.keySet().forEach(k -> counts.merge("n|" + k.substring(2, 10), "1", (a, b) -> Integer.toString(Integer.parseInt(a) + 1)));
        };
        try (ViewEngine e = engine(ns, spec, dir); ChangeWriter w = writer(ns, e)) {
            assertEquals(Set.of(ns + "-tables2"), e.state().keySet(), "one application computes the tables and both views");
            for (int u = 1; u <= 6; u++) {
                w.put("s|0000000" + u + "|00000009", "1").get();
            }
            post(w, timeline, 1);
            expect.run();
            assertEquals(timeline, eventually(() -> read(e, "t"), timeline, Duration.ofSeconds(60)));
            assertEquals(counts, eventually(() -> read(e, "n"), counts, Duration.ofSeconds(60)), "a view of a view, in the same tasks");

            // Rebuild t while posts keep coming: t moves to an application of its own, its copy in
            // the tables application is fenced off, and n (computed from t) follows.
            CompletableFuture<Void> writes = CompletableFuture.runAsync(() -> {
                for (int time = 2; time <= 40; time++) {
                    post(w, timeline, time);
                }
            });
            String app = e.rebuild("t");
            assertTrue(app.contains("-view-t-"), app);
            writes.get(2, TimeUnit.MINUTES);
            expect.run();
            assertTrue(e.awaitRunning(Duration.ofSeconds(120)));
            assertTrue(e.awaitSettled(Duration.ofSeconds(60)));
            assertEquals(timeline, eventually(() -> read(e, "t"), timeline, Duration.ofSeconds(60)), "every row, none twice");
            assertEquals(counts, eventually(() -> read(e, "n"), counts, Duration.ofSeconds(60)));
        }
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", runtime.bootstrapServers()))) {
            Set<String> topics = admin.listTopics().names().get();
            assertFalse(topics.stream().anyMatch(x -> x.contains("-view-n-")), "n never had an application of its own: " + topics);
        }
        try (ViewEngine e = engine(ns, spec, dir); ChangeWriter w = writer(ns, e)) {
            assertTrue(e.state().keySet().stream().anyMatch(a -> a.contains("-view-t-")), "t's generation resumes: " + e.state());
            post(w, timeline, 41);
            w.erase("s|00000003|00000009").get();
            timeline.keySet().removeIf(k -> k.startsWith("t|00000003|"));
            expect.run();
            counts.put("n|00000003", "0");
            assertTrue(e.awaitSettled(Duration.ofSeconds(60)));
            assertEquals(timeline, eventually(() -> read(e, "t"), timeline, Duration.ofSeconds(60)));
            assertEquals(counts, eventually(() -> read(e, "n"), counts, Duration.ofSeconds(60)));
        }
    }

    /** Posts p|9|time and adds its timeline rows to {@code timeline} (users 1-6 follow 9, unless unfollowed). */
    private static void post(ChangeWriter w, Map<String, String> timeline, int time) {
        String t = String.format("%010d", time);
        try {
            w.put("p|00000009|" + t, "post" + time).get();
        } catch (Exception x) {
            throw new IllegalStateException(x);
        }
        synchronized (timeline) {
            for (int u = 1; u <= 6; u++) {
                if (u != 3 || time < 41) {
                    timeline.put("t|0000000" + u + "|" + t + "|00000009", "post" + time);
                }
            }
        }
    }

    @Test
    void shouldRestoreAViewsStoreFromTheViewsTopicWhichIsItsOnlyCopyInKafka(@TempDir Path dir) throws Exception {
        String ns = newNamespace("restore");
        JoinSpec spec = JoinSpecParser.parse("r.pq", TIMELINE_AND_COUNTS);
        Map<String, String> timeline = new TreeMap<>();
        try (ViewEngine e = engine(ns, spec, dir); ChangeWriter w = writer(ns, e)) {
            for (int u = 1; u <= 6; u++) {
                w.put("s|0000000" + u + "|00000009", "1").get();
            }
            w.put("p|00000009|0000000001", "one").get();
            w.put("p|00000009|0000000002", "two").get();
            for (int u = 1; u <= 6; u++) {
                timeline.put("t|0000000" + u + "|0000000001|00000009", "one");
                timeline.put("t|0000000" + u + "|0000000002|00000009", "two");
            }
            assertEquals(timeline, eventually(() -> read(e, "t"), timeline, Duration.ofSeconds(60)));
            assertEquals("2", eventually(() -> read(e, "n").get("n|00000004"), "2", Duration.ofSeconds(60)), "a view of the view");
        }
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", runtime.bootstrapServers()))) {
            Set<String> topics = admin.listTopics().names().get();
            assertTrue(topics.contains(ns + "-tables2-table-s-changelog"), "a base table's store has a changelog: " + topics);
            assertFalse(topics.stream().anyMatch(x -> x.endsWith("-table-t-changelog") || x.endsWith("-table-n-changelog")),
                    "a view's rows are written once, to the view's topic: " + topics);
        }
        // the tables application's local state is lost: the views' stores come back from their topics
        try (Stream<Path> files = Files.walk(dir.resolve(ns + "-tables2"))) {
            files.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
        }
        try (ViewEngine e = engine(ns, spec, dir); ChangeWriter w = writer(ns, e)) {
            assertEquals(timeline, eventually(() -> read(e, "t"), timeline, Duration.ofSeconds(60)), "restored from the view's topic");
            assertEquals("2", read(e, "n").get("n|00000004"));
            w.erase("s|00000004|00000009").get();
            assertEquals("0", eventually(() -> read(e, "n").get("n|00000004"), "0", Duration.ofSeconds(60)), "and maintained on");
            timeline.keySet().removeIf(k -> k.startsWith("t|00000004|"));
            assertEquals(timeline, eventually(() -> read(e, "t"), timeline, Duration.ofSeconds(60)));
        }
    }

    @Test
    void shouldGoToErrorAndNameTheApplicationWhenOneStopsOnAnUnexpectedError(@TempDir Path dir) throws Exception {
        String ns = newNamespace("error");
        JoinSpec spec = JoinSpecParser.parse("e.pq", "cnt|<g> = count v|<g>|<k>");
        // (metadata refreshed every second and 5 s API timeouts, so that the deleted topic stops it in seconds, not a minute)
        ViewEngine started = ViewEngine.builder().bootstrapServers(runtime.bootstrapServers()).schemaRegistryUrl(runtime.schemaRegistryUrl())
                .namespace(ns).spec(spec).stateDir(dir).partitions(4).config(Map.of("streams.consumer.metadata.max.age.ms", "1000", "streams.default.api.timeout.ms", "5000", "streams.request.timeout.ms", "4000"))
                .build().start();
        assertTrue(started.awaitRunning(Duration.ofSeconds(120)), "engine running: " + started.state());
        try (ViewEngine e = started; ChangeWriter w = writer(ns, e)) {
            w.put("v|a|1", "x").get();
            assertEquals("1", eventually(() -> read(e, "cnt").get("cnt|a"), "1", Duration.ofSeconds(60)));
            assertEquals(ViewEngine.State.RUNNING, e.engineState());
            String view = ns + "-tables2"; // which computes cnt too: its tables are all there
            assertTrue(e.state().containsKey(view), "one application: " + e.state());
            // an operator deletes a topic the application reads: Streams stops it (SHUTDOWN_CLIENT)
            try (Admin admin = Admin.create(Map.of("bootstrap.servers", runtime.bootstrapServers()))) {
                admin.deleteTopics(List.of(ns + ".v")).all().get();
            }
            assertEquals(ViewEngine.State.ERROR, eventually(e::engineState, ViewEngine.State.ERROR, Duration.ofSeconds(150)),
                    "the engine says so: " + e.state());
            assertTrue(e.problems().containsKey(view), "and names the application: " + e.problems());
            IllegalStateException x = assertThrows(IllegalStateException.class, () -> e.rebuild("cnt"));
            assertTrue(x.getMessage().contains("ERROR"), x.getMessage());
        }
    }

    @Test
    void shouldBuildAViewAddedLaterFromExistingDataAndKeepTheOthers(@TempDir Path dir) throws Exception {
        String ns = newNamespace("added");
        String twitter = "t|<user>|<time>|<poster> = copy p|<poster>|<time> using s|<user>|<poster> where user:8, time:10, poster:8";
        Map<String, String> timeline = Map.of("t|00000001|0000000005|00000002", "post");
        try (ViewEngine e = engine(ns, JoinSpecParser.parse("v1.pq", twitter), dir); ChangeWriter w = writer(ns, e)) {
            w.put("s|00000001|00000002", "1").get();
            w.put("p|00000002|0000000005", "post").get();
            assertEquals(timeline, eventually(() -> read(e, "t"), timeline, Duration.ofSeconds(60)));
        }
        JoinSpec v2 = JoinSpecParser.parse("v2.pq", twitter + "\nfollowers|<poster> = count s|<user>|<poster> where user:8, poster:8");
        try (ViewEngine e = engine(ns, v2, dir)) {
            Map<String, String> followers = Map.of("followers|00000002", "1");
            assertEquals(followers, eventually(() -> read(e, "followers"), followers, Duration.ofSeconds(60)));
            assertEquals(timeline, eventually(() -> read(e, "t"), timeline, Duration.ofSeconds(60)), "the other view is kept");
            String first = e.state().keySet().stream().filter(a -> a.contains("-view-followers-")).findFirst().orElseThrow();
            assertTrue(Files.isDirectory(dir.resolve(first)), "state of " + first);
            e.rebuild("followers");
            assertTrue(e.awaitRunning(Duration.ofSeconds(120)));
            assertTrue(Files.notExists(dir.resolve(first)), "the old generation's state is deleted");
            assertEquals(followers, eventually(() -> read(e, "followers"), followers, Duration.ofSeconds(60)), "rebuilt from the topics");
        }
    }

    @Test
    void shouldStopTheOldDefinitionOnOtherInstancesBeforeRebuildingARedefinedView(@TempDir Path dir) throws Exception {
        String ns = newNamespace("redefined");
        String v1 = "t|<user>|<time>|<poster> = copy p|<poster>|<time> using s|<user>|<poster> where user:8, time:10, poster:8";
        // The same tables (instances of one tables application must agree on them), another row shape.
        String v2 = v1.replace("t|<user>|<time>|<poster>", "t|<user>|<poster>|<time>");
        try (ViewEngine a = engine(ns, JoinSpecParser.parse("v1.pq", v1), dir.resolve("a")); ChangeWriter w = writer(ns, a)) {
            w.put("s|00000001|00000002", "1").get();
            w.put("p|00000002|0000000005", "post").get();
            Map<String, String> before = Map.of("t|00000001|0000000005|00000002", "post");
            assertEquals(before, eventually(() -> read(a, "t"), before, Duration.ofSeconds(60)));
            assertEquals(Set.of(ns + "-tables2"), a.state().keySet(), "t is computed inside the tables application");

            // Another instance starts with another definition of t. Its start waits until the old
            // generation stops everywhere (a looks for new generations when refreshed, every 10 s in
            // a server), then clears t and rebuilds it.
            CompletableFuture<ViewEngine> c = CompletableFuture.supplyAsync(() -> {
                try {
                    return engine(ns, JoinSpecParser.parse("v2.pq", v2), dir.resolve("c"));
                } catch (InterruptedException e) {
                    throw new IllegalStateException(e);
                }
            });
            Map<String, String> none = Map.of();
            while (!c.isDone() && a.problems().isEmpty()) {
                a.refreshTables();
                Thread.sleep(200);
            }
            try (ViewEngine b = c.get(2, TimeUnit.MINUTES)) {
                assertEquals(Set.of("t"), eventually(() -> a.problems().keySet(), Set.of("t"), Duration.ofSeconds(30)));
                assertTrue(a.problems().get("t").contains("redefined by another instance"), a.problems().toString());
                assertTrue(b.state().keySet().stream().anyMatch(x -> x.contains("-view-t-")), "the new definition runs on its own: "
                        + b.state());
                assertThrows(IllegalArgumentException.class, () -> a.rebuild("t"));

                w.put("p|00000002|0000000009", "later").get();
                assertTrue(b.awaitSettled(Duration.ofSeconds(60)));
                assertTrue(a.awaitSettled(Duration.ofSeconds(60)));
                Map<String, String> after = Map.of("t|00000001|00000002|0000000005", "post", "t|00000001|00000002|0000000009", "later");
                Supplier<Map<String, String>> both = () -> {
                    TreeMap<String, String> m = read(a, "t");
                    m.putAll(read(b, "t"));
                    return m;
                };
                assertEquals(after, eventually(both, after, Duration.ofSeconds(60)), "only the new definition's rows");
                Thread.sleep(1000);
                assertEquals(after, both.get(), "and no row of the old one later");
                assertEquals(none, b.problems());
            }
        }
    }

    @Test
    void shouldKeepOtherInstancesRunningWhenOneStartsWithATableTheyDoNotHave(@TempDir Path dir) throws Exception {
        String ns = newNamespace("moretables");
        String v1 = "t|<user>|<time>|<poster> = copy p|<poster>|<time> using s|<user>|<poster> where user:8, time:10, poster:8";
        String v2 = v1 + "\nfollowers|<poster> = count q|<user>|<poster> where user:8, poster:8";
        Map<String, String> timeline = Map.of("t|00000001|0000000005|00000002", "post");
        try (ViewEngine a = engine(ns, JoinSpecParser.parse("v1.pq", v1), dir.resolve("a")); ChangeWriter w = writer(ns, a)) {
            w.put("s|00000001|00000002", "1").get();
            w.put("p|00000002|0000000005", "post").get();
            assertEquals(timeline, eventually(() -> read(a, "t"), timeline, Duration.ofSeconds(60)));
            // Another instance with a table (q) and a view the first one's tables application does not
            // have: it must not change that application's topology (Streams would stop a's copy).
            try (ViewEngine c = engine(ns, JoinSpecParser.parse("v2.pq", v2), dir.resolve("c"))) {
                w.put("q|00000001|00000002", "1").get();
                w.put("p|00000002|0000000006", "more").get();
                Map<String, String> followers = Map.of("followers|00000002", "1");
                assertEquals(followers, eventually(() -> read(c, "followers"), followers, Duration.ofSeconds(60)));
                assertTrue(c.awaitSettled(Duration.ofSeconds(60)), "settled: " + c.state());
                assertTrue(a.awaitSettled(Duration.ofSeconds(60)), "settled: " + a.state());
                Map<String, String> both = new TreeMap<>(timeline);
                both.put("t|00000001|0000000006|00000002", "more");
                Supplier<Map<String, String>> t = () -> {
                    TreeMap<String, String> m = read(a, "t");
                    m.putAll(read(c, "t"));
                    return m;
                };
                assertEquals(both, eventually(t, both, Duration.ofSeconds(60)));
                Thread.sleep(1000);
                assertTrue(a.state().values().stream().allMatch(s -> s == KafkaStreams.State.RUNNING),
                        "the first instance keeps running: " + a.state());
                assertTrue(c.state().keySet().stream().anyMatch(x -> x.startsWith(ns + "-tables2-")), "q has its own application: " + c.state());
            }
        }
    }

    @Test
    void shouldInstallJoinsIntoARunningEngineAndKeepThemAcrossARestart(@TempDir Path dir) throws Exception {
        String ns = newNamespace("install");
        String twitter = "t|<user>|<time>|<poster> = copy p|<poster>|<time> using s|<user>|<poster> where user:8, time:10, poster:8";
        String normalized = JoinSpecParser.parse("timeline.pq", twitter).joins().get(0).text();
        Map<String, String> timeline = Map.of("t|00000001|0000000005|00000002", "post");
        String application;
        try (ViewEngine e = engine(ns, JoinSpec.empty(), dir); ChangeWriter w = writer(ns, e)) {
            w.put("s|00000001|00000002", "1").get(); // a source written before the join exists
            ViewEngine.Installed r = e.install("timeline.pq", twitter);
            assertEquals(List.of(normalized), r.added());
            assertEquals(Set.of("t"), r.views().keySet());
            application = r.views().get("t");
            assertEquals(Set.of("p", "s", "t"), r.tables());
            assertTrue(e.awaitRunning(Duration.ofSeconds(120)), "running: " + e.state());
            w.put("p|00000002|0000000005", "post").get();
            assertTrue(e.awaitSettled(Duration.ofSeconds(60)));
            assertEquals(timeline, read(e, "t"));
            assertEquals(List.of(), e.install("again.pq", "\n" + twitter + "\n").added(), "installed already");
            JoinSpecException users = Assertions.assertThrows(JoinSpecException.class,
                    () -> e.install("users.pq", "s|<a>|<b> = copy p|<a>|<b>"));
            assertTrue(users.getMessage().startsWith("Invalid join spec users.pq:1:1: table s already exists"), users.getMessage());
            JoinSpecException partitions = Assertions.assertThrows(JoinSpecException.class,
                    () -> e.install("declared.pq", "# more partitions\ntable t partitions 16"));
            assertEquals("Invalid join spec declared.pq:2:1: table t exists with 4 partitions; it cannot be declared with 16",
                    partitions.getMessage());
            assertEquals(1, e.spec().joins().size(), "failed installs change nothing");
        }
        try (ViewEngine e = engine(ns, JoinSpec.empty(), dir); ChangeWriter w = writer(ns, e)) {
            assertEquals(List.of(normalized), e.spec().joins().stream().map(Join::text).toList(), "the installed join is restored");
            assertTrue(e.state().containsKey(application), "the view resumes, not rebuilt: " + e.state());
            assertEquals(timeline, eventually(() -> read(e, "t"), timeline, Duration.ofSeconds(60)));
            w.put("p|00000002|0000000006", "more").get();
            assertTrue(e.awaitSettled(Duration.ofSeconds(60)));
            assertEquals(Map.of("t|00000001|0000000005|00000002", "post", "t|00000001|0000000006|00000002", "more"), read(e, "t"));
        }
    }

    @Test
    void shouldAnswerPullJoinsFromSourceStores() throws Exception {
        String ns = newNamespace("pull");
        JoinSpec spec = JoinSpecParser.parse("celebrity.pq", Files.readString(Path.of("..", "examples", "celebrity.pq")));
        try (ViewEngine e = engine(ns, spec, stateDir); ChangeWriter w = writer(ns, e)) {
            w.put("cs|00000001|00000009", "1").get();
            w.put("ct|0000000150|00000009", "celebrity").get();
            w.put("s|00000001|00000002", "1").get();
            w.put("p|00000002|0000000100", "ordinary").get();
            Map<String, String> pushed = Map.of("t|00000001|0000000100|00000002", "ordinary");
            assertEquals(pushed, eventually(() -> read(e, "t"), pushed, Duration.ofSeconds(60)));
            Join pull = e.catalog().pullJoins("t").get(0);
            Map<String, String> pulled = eventually(() -> {
                TreeMap<String, String> out = new TreeMap<>();
                JoinEvaluator.evaluate(pull, (t, r) -> {
                    List<Map.Entry<byte[], byte[]>> l = new ArrayList<>();
                    try (KeyValueIterator<Bytes, byte[]> it = e.catalog().store(t).range(Bytes.wrap(r.first()), Bytes.wrap(r.last()))) {
                        it.forEachRemaining(kv -> l.add(Map.entry(kv.key.get(), kv.value)));
                    }
                    return l;
                }, Range.prefix("t|00000001|")).forEach((k, v) -> out.put(new String(k), new String(v)));
                return out;
            }, Map.of("t|00000001|0000000150|00000009", "celebrity"), Duration.ofSeconds(60));
            assertEquals(Map.of("t|00000001|0000000150|00000009", "celebrity"), pulled);
        }
    }

    private static ConsumerRecord<byte[], byte[]> readOne(String topic) {
        try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(Map.of("bootstrap.servers", runtime.bootstrapServers()),
                new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            TopicPartition tp = new TopicPartition(topic, 0);
            c.assign(List.of(tp));
            c.seekToBeginning(List.of(tp));
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (System.nanoTime() < deadline) {
                for (ConsumerRecord<byte[], byte[]> r : c.poll(Duration.ofMillis(200))) {
                    return r;
                }
            }
        }
        throw new AssertionError("no record in " + topic);
    }

    private static String header(ConsumerRecord<byte[], byte[]> r, String name) {
        return new String(r.headers().lastHeader(name).value(), StandardCharsets.UTF_8);
    }
}
