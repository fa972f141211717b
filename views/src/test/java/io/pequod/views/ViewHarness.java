package io.pequod.views;

import io.pequod.embedded.Files2;
import io.pequod.schemas.ChangeSerde;
import io.pequod.schemas.Changes;
import io.pequod.schemas.Key;
import io.pequod.schemas.PartitionRule;
import io.pequod.schemas.Range;
import io.pequod.schemas.SchemaRegistryClient;
import io.pequod.schemas.TableTopics;
import io.pequod.schemas.avro.Change;
import io.pequod.schemas.avro.Operation;
import io.pequod.views.internals.compile.TopologyFactory;
import io.pequod.views.internals.processor.StoredValue;
import io.pequod.views.internals.processor.ViewFences;
import io.pequod.views.progress.StoreProgress;
import io.pequod.views.spec.Join;
import io.pequod.views.spec.JoinSpec;
import io.pequod.views.spec.JoinSpecParser;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.TopologyDescription;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.test.TestRecord;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Runs a spec's topologies (the tables application and one per view) in TopologyTestDriver,
 * forwarding each application's output topics to the applications that read them until nothing
 * moves, as the broker would. Reads go to the tables application's {@code table-<t>} stores.
 */
final class ViewHarness implements AutoCloseable {
    static final String NS = "test";
    private final TableTopics topics = TableTopics.of(NS);
    private final SchemaRegistryClient registry = SchemaRegistryClient.shared("mem://" + UUID.randomUUID());
    private final ChangeSerde serde = new ChangeSerde(registry);
    private final Map<String, Driver> drivers = new LinkedHashMap<>();
    private final JoinSpec spec;
    final AtomicLong deadLetters = new AtomicLong();
    final List<TestRecord<byte[], byte[]>> deadLetterRecords = new ArrayList<>();
    private final List<Path> stateDirs = new ArrayList<>();
    /** While set, what the view applications send is lost (see {@link #crashAfterStoreWritesThenReplay}). */
    private boolean losing;
    /** The view applications' inputs whose outputs were lost, to replay. */
    private final List<Map.Entry<String, List<TestRecord<byte[], byte[]>>>> lost = new ArrayList<>();

    private record Driver(TopologyTestDriver driver, Set<String> inputs, Set<String> outputs,
                          Map<String, TestInputTopic<byte[], byte[]>> in, Map<String, TestOutputTopic<byte[], byte[]>> out) {
    }

    ViewHarness(String specText, String... extraTables) {
        this(true, specText, extraTables);
    }

    /**
     * @param changelogs whether views read the tables application's changelogs (as the engine runs
     *                   them) or the table topics into {@code src-<table>} stores (no tables application)
     */
    ViewHarness(boolean changelogs, String specText, String... extraTables) {
        this(changelogs, null, specText, extraTables);
    }

    /**
     * Every view computed inside the tables application, as the engine lays out views whose
     * tables it all holds (partial views need it), its materializers following {@code fences}.
     */
    static ViewHarness computed(ViewFences fences, String specText) {
        return new ViewHarness(true, fences, specText);
    }

    private ViewHarness(boolean changelogs, ViewFences computedWith, String specText, String... extraTables) {
        this.spec = JoinSpecParser.parse("spec.pq", specText);
        PartitionRule rule = PartitionRule.standard();
        for (Map.Entry<String, Integer> e : spec.fixedFirstFieldWidths().entrySet()) {
            rule = rule.withFixedWidth(e.getKey(), e.getValue());
        }
        Set<String> tables = new LinkedHashSet<>(spec.allTables());
        tables.addAll(List.of(extraTables));
        Map<String, Integer> partitions = new HashMap<>();
        tables.forEach(t -> partitions.put(t, 1)); // as the engine knows them, so co-partitioned joins are used too
        TopologyFactory f = new TopologyFactory(topics, rule, registry, deadLetters, 1, new StoreProgress(), partitions)
                .keepingCreationTimes(true);
        Set<String> changelogTopics = new HashSet<>();
        if (changelogs) {
            // as the engine lays it out: views read base tables from the changelogs of their stores,
            // and views from their topics (a view's store has no changelog of its own)
            Set<String> views = spec.materializedViewTables();
            f.materializingViews(views::contains)
                    .readingChangelogs(t -> views.contains(t) ? topics.tableTopic(t) : "tables-" + TopologyFactory.tableStore(t) + "-changelog");
            tables.stream().filter(t -> !views.contains(t)).forEach(t -> changelogTopics.add("tables-" + TopologyFactory.tableStore(t) + "-changelog"));
        }
        if (computedWith != null) {
            Map<String, List<Join>> computed = new TreeMap<>();
            spec.materializedViewTables().forEach(v -> computed.put(v, spec.joinsOf(v)));
            add("tables", f.fencedBy(computedWith).tablesTopology(tables, computed, "tables"), changelogTopics);
            return;
        }
        add("tables", f.tablesTopology(tables, "tables"), changelogTopics);
        for (String v : spec.materializedViewTables()) {
            add("view-" + v, f.viewTopology(v, spec.joinsOf(v), "view-" + v), Set.of());
        }
    }

    private void add(String name, Topology t, Set<String> changelogTopics) {
        Properties p = new Properties();
        p.put("application.id", name);
        p.put("bootstrap.servers", "unused:9092");
        String stateDir = System.getProperty("java.io.tmpdir") + "/pequod-ttd-" + UUID.randomUUID();
        stateDirs.add(Path.of(stateDir));
        p.put("state.dir", stateDir);
        TopologyTestDriver d = new TopologyTestDriver(t, p);
        Set<String> inputs = new HashSet<>();
        Set<String> outputs = new HashSet<>();
        t.describe().subtopologies().forEach(st -> st.nodes().forEach(n -> {
            if (n instanceof TopologyDescription.Source s && s.topicSet() != null) {
                s.topicSet().stream().filter(x -> !x.contains("-repartition") && !x.contains("step") && !x.contains("group")).forEach(inputs::add);
            }
            if (n instanceof TopologyDescription.Sink s && s.topic() != null) {
                outputs.add(s.topic());
            }
        }));
        outputs.addAll(changelogTopics); // what the tables application's stores log, read by the views
        Map<String, TestInputTopic<byte[], byte[]>> in = new HashMap<>();
        inputs.forEach(i -> in.put(i, d.createInputTopic(i, new ByteArraySerializer(), new ByteArraySerializer())));
        Map<String, TestOutputTopic<byte[], byte[]>> out = new HashMap<>();
        outputs.forEach(o -> out.put(o, d.createOutputTopic(o, new ByteArrayDeserializer(), new ByteArrayDeserializer())));
        drivers.put(name, new Driver(d, inputs, outputs, in, out));
    }

    JoinSpec spec() {
        return spec;
    }

    ViewHarness put(String key, String value) {
        return write(key, Changes.of(Operation.PUT, value.getBytes(StandardCharsets.UTF_8)));
    }

    ViewHarness write(String key, Change c) {
        String topic = topics.tableTopic(Key.tableOf(key.getBytes(StandardCharsets.UTF_8)));
        return pipeRaw(topic, key.getBytes(StandardCharsets.UTF_8), c == null ? null : serde.serializer().serialize(topic, c));
    }

    /** Writes a change ({@code null}: an erase) whose record carries this timestamp (others carry 0). */
    ViewHarness writeAt(String key, Change c, long timestamp) {
        String topic = topics.tableTopic(Key.tableOf(key.getBytes(StandardCharsets.UTF_8)));
        byte[] value = c == null ? null : serde.serializer().serialize(topic, c);
        deliver(List.of(new TestRecord<>(key.getBytes(StandardCharsets.UTF_8), value, null, timestamp)), topic);
        return this;
    }

    ViewHarness erase(String key) {
        return write(key, null);
    }

    /**
     * A crash at least once: the view applications process a write and their stores log it, but
     * what they send is lost; after the restart their inputs since the last commit are processed
     * again (replayed).
     *
     * @param key   the key written
     * @param value its value, or {@code null} for an erase
     */
    ViewHarness crashAfterStoreWritesThenReplay(String key, String value) {
        losing = true;
        try {
            write(key, value == null ? null : Changes.of(Operation.PUT, value.getBytes(StandardCharsets.UTF_8)));
        } finally {
            losing = false;
        }
        List<Map.Entry<String, List<TestRecord<byte[], byte[]>>>> replay = new ArrayList<>(lost);
        lost.clear();
        replay.forEach(e -> deliver(e.getValue(), e.getKey()));
        return this;
    }

    ViewHarness pipeRaw(String topic, byte[] key, byte[] value) {
        deliver(List.of(new TestRecord<>(key, value)), topic);
        return this;
    }

    ViewHarness pipeRaw(String topic, byte[] key, byte[] value, Headers headers) {
        deliver(List.of(new TestRecord<>(key, value, headers, (Long) null)), topic);
        return this;
    }

    /** Advances the tables application's wall clock (its punctuations run) and delivers what it sent. */
    ViewHarness advanceWallClock(Duration d) {
        Driver t = drivers.get("tables");
        t.driver().advanceWallClockTime(d);
        List<Map.Entry<String, List<TestRecord<byte[], byte[]>>>> produced = new ArrayList<>();
        t.out().forEach((topic, out) -> {
            List<TestRecord<byte[], byte[]>> recs = out.readRecordsToList();
            if (!recs.isEmpty()) {
                produced.add(Map.entry(topic, recs));
            }
        });
        produced.forEach(e -> deliver(e.getValue(), e.getKey()));
        return this;
    }

    /** @return the key's expiry as the table's owner keeps it, or {@code null} */
    Long expiry(String table, String key) {
        KeyValueStore<Bytes, byte[]> store = drivers.get("tables").driver().getKeyValueStore(TopologyFactory.tableStore(table) + "-ttl");
        return ViewCatalog.expiry(store.get(Bytes.wrap(key.getBytes(StandardCharsets.UTF_8))));
    }

    /** @return the key's creation time as the table's owner keeps it, or {@code null} */
    Long creationTime(String table, String key) {
        KeyValueStore<Bytes, byte[]> store = drivers.get("tables").driver()
                .getKeyValueStore(TopologyFactory.tableStore(table) + "-created");
        return ViewCatalog.creationTime(store.get(Bytes.wrap(key.getBytes(StandardCharsets.UTF_8))));
    }

    private void deliver(List<TestRecord<byte[], byte[]>> records, String topic) {
        deliver(records, topic, null);
    }

    /** Pipes records into every driver that reads the topic but {@code from}, whose own outputs TopologyTestDriver feeds back itself. */
    private void deliver(List<TestRecord<byte[], byte[]>> records, String topic, Driver from) {
        List<Map.Entry<Driver, Map.Entry<String, List<TestRecord<byte[], byte[]>>>>> produced = new ArrayList<>();
        for (Driver d : drivers.values()) {
            TestInputTopic<byte[], byte[]> in = d.in().get(topic);
            if (in == null || d == from) {
                continue;
            }
            for (TestRecord<byte[], byte[]> r : records) {
                in.pipeInput(new TestRecord<>(r.key(), r.value(), r.headers(), r.timestamp() == null ? 0L : r.timestamp()));
            }
            boolean lose = losing && d != drivers.get("tables");
            if (lose) {
                lost.add(Map.entry(topic, records));
            }
            for (Map.Entry<String, TestOutputTopic<byte[], byte[]>> o : d.out().entrySet()) {
                List<TestRecord<byte[], byte[]>> recs = o.getValue().readRecordsToList();
                if (lose) {
                    continue; // sent by a process that died before the broker had them
                }
                if (!recs.isEmpty()) {
                    produced.add(Map.entry(d, Map.entry(o.getKey(), recs)));
                }
            }
        }
        for (Map.Entry<Driver, Map.Entry<String, List<TestRecord<byte[], byte[]>>>> e : produced) {
            if (e.getValue().getKey().equals(topics.deadLetters())) {
                deadLetterRecords.addAll(e.getValue().getValue());
            } else {
                deliver(e.getValue().getValue(), e.getValue().getKey(), e.getKey());
            }
        }
    }

    /** @return the table's store content, key to value, in key order */
    TreeMap<String, String> table(String table) {
        KeyValueStore<Bytes, byte[]> store = drivers.get("tables").driver().getKeyValueStore(TopologyFactory.tableStore(table));
        TreeMap<String, String> out = new TreeMap<>();
        try (KeyValueIterator<Bytes, byte[]> it = store.all()) {
            while (it.hasNext()) {
                KeyValue<Bytes, byte[]> kv = it.next();
                out.put(new String(kv.key.get(), StandardCharsets.UTF_8), new String(StoredValue.value(kv.value), StandardCharsets.UTF_8));
            }
        }
        return out;
    }

    /** @return the table's entries in [first, last) */
    TreeMap<String, String> scan(String table, String first, String last) {
        TreeMap<String, String> all = table(table);
        return new TreeMap<>(all.subMap(first, last));
    }

    /** Evaluates the spec's pull joins of {@code table} over a range, from the tables' stores. */
    TreeMap<String, String> pull(String table, Range range) {
        TreeMap<String, String> out = new TreeMap<>();
        for (Join j : spec.pullJoins().getOrDefault(table, List.of())) {
            JoinEvaluator.evaluate(j, (t, r) -> {
                List<Map.Entry<byte[], byte[]>> l = new ArrayList<>();
                table(t).forEach((k, v) -> {
                    byte[] kb = k.getBytes(StandardCharsets.UTF_8);
                    if (r.contains(kb)) {
                        l.add(Map.entry(kb, v.getBytes(StandardCharsets.UTF_8)));
                    }
                });
                return l;
            }, range).forEach((k, v) -> out.put(new String(k, StandardCharsets.UTF_8), new String(v, StandardCharsets.UTF_8)));
        }
        return out;
    }

    static String header(TestRecord<byte[], byte[]> r, String name) {
        Header h = r.headers().lastHeader(name);
        return h == null ? null : new String(h.value(), StandardCharsets.UTF_8);
    }

    @Override
    public void close() {
        drivers.values().forEach(d -> d.driver().close());
        stateDirs.forEach(Files2::deleteRecursively);
    }
}
