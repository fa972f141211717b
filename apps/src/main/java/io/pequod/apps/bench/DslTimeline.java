package io.pequod.apps.bench;

import io.pequod.schemas.Changes;
import io.pequod.schemas.PartitionRule;
import io.pequod.schemas.TableTopics;
import io.pequod.schemas.avro.Change;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.Grouped;
import org.apache.kafka.streams.kstream.KStream;
import org.apache.kafka.streams.kstream.KTable;
import org.apache.kafka.streams.kstream.Materialized;
import org.apache.kafka.streams.kstream.Produced;
import org.apache.kafka.streams.kstream.Repartitioned;
import org.apache.kafka.streams.processor.StreamPartitioner;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.Stores;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;

/**
 * The Twitter timeline {@code t|user|time|poster = copy p|poster|time using s|user|poster}, written
 * the way a Kafka Streams user would write it with the DSL, over the same table topics (Pequod's
 * {@code Change} records) — the bar our join engine is measured against ({@code bench joins
 * --baseline dsl}, {@code bench freshness --baseline dsl}). Both versions end the same way, as an
 * expert writes it: the rows are written {@code to()} their topic ({@link #rowsTopic}),
 * partitioned by user (the partitioning Pequod's reads use, so one user's timeline is one range of
 * one partition), and read back with {@code table()} into the queryable store {@value #STORE}
 * under {@code topology.optimization=all}, so that the topic is also the store's changelog: each
 * row is written to Kafka once. The record cache is on the join's state, not on the timeline store
 * (a row reaches readers at once), and RocksDB gets the memtable bloom filter Pequod's stores
 * have ({@link DslStoreOptions}). Unfollows and erased posts remove rows.
 *
 * <p>Until 2026-12-06 both versions ended with {@code repartition()} then {@code toTable()}: the
 * rows were written twice (the repartition topic and the store's changelog), the topology was
 * built without the optimization, the cache sat on the timeline store, and only {@code streams.*}
 * settings reached it.
 *
 * <ul>
 *   <li>{@link Variant#FOREIGN_KEY}: the version most users write first. Followers are aggregated
 *       per poster as a {@code KTable} (unfollows subtract); the posts table is joined to it with a
 *       foreign-key join (the post's poster); each joined post is exploded into one row per
 *       follower by a processor that remembers what it emitted, so that followers who left get a
 *       tombstone.</li>
 *   <li>{@link Variant#TUNED}: hand-tuned. Follows and posts are re-keyed by poster into one
 *       repartitioned stream; one processor keeps a poster's followers and posts in two stores keyed
 *       {@code poster|user} and {@code poster|time} and joins them symmetrically with prefix scans,
 *       emitting a row (or its tombstone) per match.</li>
 * </ul>
 */
public final class DslTimeline {
    /** The queryable timeline store. */
    public static final String STORE = "timeline";
    /** The suffix of the rows' topic ({@link #rowsTopic}). */
    public static final String ROWS = "rows";
    private static final int ID = 8;
    private static final String STREAMS_PREFIX = "streams.";

    /** The two ways of writing it. */
    public enum Variant {
        FOREIGN_KEY("dsl_foreign_key"), TUNED("dsl_tuned");

        private final String label;

        Variant(String label) {
            this.label = label;
        }

        /** @return the name used in reports */
        public String label() {
            return label;
        }

        /**
         * @param baseline {@code dsl} (both), {@code dsl-tuned}, {@code dsl-foreign-key} or {@code none}
         * @return the versions it names
         * @throws IllegalArgumentException naming the choices otherwise
         */
        public static List<Variant> named(String baseline) {
            switch (baseline) {
                case "none":
                    return List.of();
                case "dsl":
                    return List.of(TUNED, FOREIGN_KEY);
                case "dsl-tuned":
                    return List.of(TUNED);
                case "dsl-foreign-key":
                    return List.of(FOREIGN_KEY);
                default:
                    throw new IllegalArgumentException("Unknown baseline '" + baseline
                            + "': expected dsl, dsl-tuned, dsl-foreign-key or none");
            }
        }
    }

    private DslTimeline() {
    }

    /**
     * @param ns      the namespace
     * @param variant the version
     * @return the topic its rows are written to, partitioned by user, which is also its timeline
     * store's changelog: to be created (compacted, with the table topics' partitions) before it starts
     */
    public static String rowsTopic(String ns, Variant variant) {
        return ns + "-" + variant.label().replace('_', '-') + "-" + ROWS;
    }

    /**
     * Creates the rows' topic (compacted, like the table topics) unless it exists, as an expert's
     * deployment does before the application starts.
     *
     * @param admin      an admin client
     * @param ns         the namespace
     * @param variant    the version
     * @param partitions its partitions (the table topics')
     * @throws Exception if Kafka refuses
     */
    public static void createRowsTopic(Admin admin, String ns, Variant variant, int partitions) throws Exception {
        String topic = rowsTopic(ns, variant);
        if (!admin.listTopics().names().get(30, TimeUnit.SECONDS).contains(topic)) {
            admin.createTopics(List.of(new NewTopic(topic, partitions, (short) -1).configs(TableTopics.TABLE_TOPIC_CONFIG)))
                    .all().get(30, TimeUnit.SECONDS);
        }
    }

    /**
     * @param ns         the namespace whose {@code <ns>.s} and {@code <ns>.p} topics are read
     * @param changes    the serde of Pequod's {@code Change} values
     * @param variant    which version
     * @param partitions partitions of the rows' repartition topic (Pequod's table partitions)
     * @param onRow      called with each row key (and {@code true} when it is present) as the store applies it
     * @return the topology
     */
    public static Topology topology(String ns, Serde<Change> changes, Variant variant, int partitions, BiConsumer<String, Boolean> onRow) {
        StreamsBuilder b = new StreamsBuilder();
        KStream<String, String> rows = variant == Variant.TUNED ? tuned(b, ns, changes) : foreignKey(b, ns, changes);
        PartitionRule rule = PartitionRule.standard();
        StreamPartitioner<String, String> byUser = (topic, key, value, n) ->
                Optional.of(Set.of(rule.partition(key.getBytes(StandardCharsets.UTF_8), n)));
        String topic = rowsTopic(ns, variant);
        rows.to(topic, Produced.with(Serdes.String(), Serdes.String()).withStreamPartitioner(byUser));
        b.table(topic, Consumed.with(Serdes.String(), Serdes.String()), Materialized.<String, String, KeyValueStore<Bytes, byte[]>>as(STORE)
                        .withKeySerde(Serdes.String()).withValueSerde(Serdes.String()).withCachingDisabled())
                .toStream()
                .foreach((k, v) -> onRow.accept(k, v != null));
        Properties optimize = new Properties();
        optimize.put(StreamsConfig.TOPOLOGY_OPTIMIZATION_CONFIG, StreamsConfig.OPTIMIZE); // the rows' topic is the store's changelog
        return b.build(optimize);
    }

    /**
     * Settings as close to the engine's as the DSL allows (same commit interval, linger, fetch
     * wait), String serdes by default, and what a tuning user would add: {@code topology.optimization=all},
     * two stream threads (the engine runs two applications of one thread each for this view), the
     * memtable bloom filter. The engine's own settings given to the benchmark reach it too: its
     * processing guarantee ({@code pequod.exactly.once}, with the engine's 100 ms commit interval),
     * {@code pequod.commit.interval.ms}, {@code pequod.stream.threads}, and every {@code streams.*} one.
     *
     * @param appId     the application id
     * @param bootstrap bootstrap servers
     * @param stateDir  the state directory
     * @param cacheBytes record cache size (0: every update reaches the store and its readers at once)
     * @param overrides  engine settings given to the benchmark: those under {@code streams.} apply here too
     * @return the properties
     */
    public static Properties settings(String appId, String bootstrap, String stateDir, long cacheBytes, Map<String, String> overrides) {
        Properties p = new Properties();
        p.put(StreamsConfig.APPLICATION_ID_CONFIG, appId);
        p.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(StreamsConfig.STATE_DIR_CONFIG, stateDir);
        p.put(StreamsConfig.STATESTORE_CACHE_MAX_BYTES_CONFIG, cacheBytes);
        p.put(StreamsConfig.DEFAULT_KEY_SERDE_CLASS_CONFIG, Serdes.StringSerde.class);
        p.put(StreamsConfig.DEFAULT_VALUE_SERDE_CLASS_CONFIG, Serdes.StringSerde.class);
        p.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, 1000);
        p.put(StreamsConfig.TOPOLOGY_OPTIMIZATION_CONFIG, StreamsConfig.OPTIMIZE);
        p.put(StreamsConfig.NUM_STREAM_THREADS_CONFIG, 2);
        p.put(StreamsConfig.MAX_TASK_IDLE_MS_CONFIG, -1L);
        p.put(StreamsConfig.consumerPrefix("auto.offset.reset"), "earliest");
        p.put(StreamsConfig.consumerPrefix("fetch.max.wait.ms"), 100);
        p.put(StreamsConfig.producerPrefix("linger.ms"), 5);
        p.put(StreamsConfig.producerPrefix("batch.size"), 128 * 1024);
        p.put(StreamsConfig.ROCKSDB_CONFIG_SETTER_CLASS_CONFIG, DslStoreOptions.class);
        if (Boolean.parseBoolean(overrides.getOrDefault("pequod.exactly.once", "false"))) {
            p.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
            p.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, 100);
        }
        if (overrides.containsKey("pequod.commit.interval.ms")) {
            p.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, Long.parseLong(overrides.get("pequod.commit.interval.ms")));
        }
        if (overrides.containsKey("pequod.stream.threads")) {
            p.put(StreamsConfig.NUM_STREAM_THREADS_CONFIG, Integer.parseInt(overrides.get("pequod.stream.threads")));
        }
        overrides.forEach((k, v) -> {
            if (k.startsWith(STREAMS_PREFIX)) {
                p.put(k.substring(STREAMS_PREFIX.length()), v);
            }
        });
        return p;
    }

    /** Followers per poster as a KTable, posts FK-joined to it, each joined post exploded into rows. */
    private static KStream<String, String> foreignKey(StreamsBuilder b, String ns, Serde<Change> changes) {
        KTable<String, String> followers = b.table(ns + ".s", Consumed.with(Serdes.String(), changes))
                .groupBy((k, v) -> KeyValue.pair(field(k, 2), field(k, 1)), Grouped.with(Serdes.String(), Serdes.String()))
                .aggregate(() -> "", (poster, user, set) -> Members.add(set, user), (poster, user, set) -> Members.remove(set, user),
                        Materialized.with(Serdes.String(), Serdes.String()));
        KTable<String, String> posts = b.table(ns + ".p", Consumed.with(Serdes.String(), changes))
                .mapValues(c -> new String(Changes.bytes(c.getValue()), StandardCharsets.UTF_8));
        KTable<String, String> joined = posts.join(followers, (postKey, post) -> field(postKey, 1),
                (post, set) -> set + "\n" + post);
        b.addStateStore(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore("exploded"), Serdes.String(), Serdes.String()));
        return joined.toStream().process(Explode::new, "exploded");
    }

    /** Follows and posts re-keyed by poster, one symmetric join over two prefix-scanned stores. */
    private static KStream<String, String> tuned(StreamsBuilder b, String ns, Serde<Change> changes) {
        KStream<String, String> follows = b.stream(ns + ".s", Consumed.with(Serdes.String(), changes))
                .map((k, v) -> KeyValue.pair(field(k, 2), (v == null ? "S-" : "S+") + field(k, 1)));
        KStream<String, String> posts = b.stream(ns + ".p", Consumed.with(Serdes.String(), changes))
                .map((k, v) -> KeyValue.pair(field(k, 1), v == null ? "P-" + field(k, 2)
                        : "P+" + field(k, 2) + "|" + new String(Changes.bytes(v.getValue()), StandardCharsets.UTF_8)));
        // the record cache (statestore.cache.max.bytes) serves the join's reads and batches its writes
        b.addStateStore(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore("followers"), Serdes.String(), Serdes.String())
                .withCachingEnabled());
        b.addStateStore(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore("posts"), Serdes.String(), Serdes.String())
                .withCachingEnabled());
        return follows.merge(posts)
                .repartition(Repartitioned.<String, String>as("by-poster").withKeySerde(Serdes.String()).withValueSerde(Serdes.String()))
                .process(SymmetricJoin::new, "followers", "posts");
    }

    /** @return the {@code i}-th {@code |}-separated field of a key (0 is the table) */
    static String field(String key, int i) {
        int start = 0;
        for (int n = 0; n < i; n++) {
            start = key.indexOf('|', start) + 1;
        }
        int end = key.indexOf('|', start);
        return end < 0 ? key.substring(start) : key.substring(start, end);
    }

    static String row(String user, String time, String poster) {
        return "t|" + user + "|" + time + "|" + poster;
    }

    /** A set of fixed-width user ids kept sorted in one string (the aggregate's value). */
    static final class Members {
        private Members() {
        }

        static Set<String> parse(String s) {
            Set<String> out = new TreeSet<>();
            for (int i = 0; i + ID <= s.length(); i += ID) {
                out.add(s.substring(i, i + ID));
            }
            return out;
        }

        static String add(String s, String user) {
            Set<String> set = parse(s);
            set.add(user);
            return String.join("", set);
        }

        static String remove(String s, String user) {
            Set<String> set = parse(s);
            set.remove(user);
            return String.join("", set);
        }
    }

    /** FK version: one joined post (followers + "\n" + text) into one row per follower; tombstones for followers gone. */
    static final class Explode implements Processor<String, String, String, String> {
        private ProcessorContext<String, String> ctx;
        private KeyValueStore<String, String> emitted;

        @Override
        public void init(ProcessorContext<String, String> context) {
            ctx = context;
            emitted = context.getStateStore("exploded");
        }

        @Override
        public void process(Record<String, String> r) {
            String poster = field(r.key(), 1);
            String time = field(r.key(), 2);
            String before = emitted.get(r.key());
            Set<String> old = before == null ? Set.of() : Members.parse(before.substring(0, before.indexOf('\n')));
            Set<String> now = Set.of();
            if (r.value() != null) {
                int nl = r.value().indexOf('\n');
                now = Members.parse(r.value().substring(0, nl));
                String text = r.value().substring(nl + 1);
                boolean changed = before == null || !before.substring(before.indexOf('\n') + 1).equals(text);
                for (String user : now) {
                    if (changed || !old.contains(user)) {
                        ctx.forward(r.withKey(row(user, time, poster)).withValue(text));
                    }
                }
                emitted.put(r.key(), r.value());
            } else {
                emitted.delete(r.key());
            }
            for (String user : old) {
                if (!now.contains(user)) {
                    ctx.forward(r.withKey(row(user, time, poster)).withValue(null));
                }
            }
        }
    }

    /** Tuned version: a poster's followers and posts, joined as either side changes. */
    static final class SymmetricJoin implements Processor<String, String, String, String> {
        private static final StringSerializer PREFIX = new StringSerializer();
        private ProcessorContext<String, String> ctx;
        private KeyValueStore<String, String> followers;
        private KeyValueStore<String, String> posts;

        @Override
        public void init(ProcessorContext<String, String> context) {
            ctx = context;
            followers = context.getStateStore("followers");
            posts = context.getStateStore("posts");
        }

        @Override
        public void process(Record<String, String> r) {
            String poster = r.key();
            String v = r.value();
            boolean add = v.charAt(1) == '+';
            if (v.charAt(0) == 'S') {
                String user = v.substring(2);
                String k = poster + "|" + user;
                if (add == (followers.get(k) != null)) {
                    return; // a replay: already applied
                }
                if (add) {
                    followers.put(k, "");
                } else {
                    followers.delete(k);
                }
                try (KeyValueIterator<String, String> it = posts.prefixScan(poster + "|", PREFIX)) {
                    it.forEachRemaining(p -> ctx.forward(r.withKey(row(user, field(p.key, 1), poster)).withValue(add ? p.value : null)));
                }
                return;
            }
            int bar = v.indexOf('|');
            String time = bar < 0 ? v.substring(2) : v.substring(2, bar);
            String text = add ? v.substring(bar + 1) : null;
            if (add) {
                posts.put(poster + "|" + time, text);
            } else if (posts.delete(poster + "|" + time) == null) {
                return;
            }
            try (KeyValueIterator<String, String> it = followers.prefixScan(poster + "|", PREFIX)) {
                it.forEachRemaining(f -> ctx.forward(r.withKey(row(field(f.key, 1), time, poster)).withValue(text)));
            }
        }
    }
}
