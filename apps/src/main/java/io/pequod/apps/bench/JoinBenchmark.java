package io.pequod.apps.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.pequod.embedded.EmbeddedRuntime;
import io.pequod.embedded.Files2;
import io.pequod.ingest.ChangeWriter;
import io.pequod.ingest.Progress;
import io.pequod.views.ViewEngine;
import io.pequod.views.spec.JoinSpecParser;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ListOffsetsResult;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.CloseOptions;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.Stores;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.IntStream;

/**
 * Twitter timeline join throughput. Clocks start when each Streams application is RUNNING, so
 * that they measure processing, not start-up.
 *
 * <p>Subscriptions and posts are loaded into their table topics first; then (1) a plain Kafka
 * Streams pass-through reads the same records into a RocksDB store; (2) the view engine as a
 * server runs it (tables application and the view's) computes the timeline: timed until every row
 * is in the timeline topic and until every row is in the queryable {@code table-t} store; (3)
 * {@code rebuild t} on that engine: a new generation of the view re-reads both tables; (4) each
 * requested DSL version of the same timeline ({@link DslTimeline}), timed to the same two points.
 * Reported: input records/s of each, derived records/s, and the ratios.
 */
public final class JoinBenchmark {
    private final int users;
    private final int followsPerUser;
    private final int posts;
    private final List<DslTimeline.Variant> baselines;
    private Map<String, String> settings = Map.of();

    /**
     * @param users          users
     * @param followsPerUser subscriptions per user
     * @param posts          posts
     * @param baselines      the DSL versions to run after ours on the same data
     */
    public JoinBenchmark(int users, int followsPerUser, int posts, List<DslTimeline.Variant> baselines) {
        this.users = users;
        this.baselines = List.copyOf(baselines);
        this.followsPerUser = followsPerUser;
        this.posts = posts;
    }

    /**
     * @param nameValues engine settings ({@code serve --set} names: {@code streams.*} and the engine's
     *     own); those under {@code streams.} apply to the DSL baselines too
     * @return this benchmark
     */
    public JoinBenchmark withSettings(Map<String, String> nameValues) {
        this.settings = Map.copyOf(nameValues);
        return this;
    }

    /**
     * @param bootstrap a cluster, or {@code null} for the embedded runtime
     * @param registry  its registry URL
     * @return the result as JSON
     * @throws Exception if Kafka fails
     */
    public String run(String bootstrap, String registry) throws Exception {
        EmbeddedRuntime rt = null;
        if (bootstrap == null) {
            System.err.println("bench joins: starting the embedded broker and registry ...");
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

    private String measure(String bootstrap, String registry) throws Exception {
        String ns = "benchjoin" + Long.toHexString(System.currentTimeMillis());
        TwitterData data = new TwitterData(users, followsPerUser, 7);
        long derived = 0;
        long inputs = data.follows.size() + posts;
        Progress bar = new Progress(System.err, "bench joins: load", "records", inputs, true);
        long n = 0;
        try (ChangeWriter w = ChangeWriter.builder().bootstrapServers(bootstrap).schemaRegistryUrl(registry).namespace(ns)
                .partitions(8).build()) {
            for (int[] f : data.follows) {
                w.put(TwitterData.s(f[0], f[1]), "1");
                bar.update(++n, n);
            }
            Random rnd = new Random(11);
            for (int i = 0; i < posts; i++) {
                int poster = rnd.nextInt(users);
                w.put(TwitterData.p(poster, 1_000_000_000L + i), "tweet");
                derived += data.followersOf.get(poster).size();
                bar.update(++n, n);
            }
            w.flush();
        }
        bar.finish(n, n);
        double passSecs = passThrough(bootstrap, ns, inputs);
        ObjectNode o = new ObjectMapper().createObjectNode();
        o.put("benchmark", "joins");
        o.put("users", users);
        o.put("subscriptions", data.follows.size());
        o.put("posts", posts);
        o.put("input_records", inputs);
        o.put("derived_records", derived);
        ObjectNode pass = o.putObject("pass_through");
        pass.put("seconds", round(passSecs));
        pass.put("input_records_per_sec", Math.round(inputs / passSecs));
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", bootstrap))) {
            TimelineRun.Seconds ours = join(bootstrap, registry, ns, derived, inputs, admin, o);
            ours.report(o, "timeline_join", inputs, derived);
            o.put("ratio_join_input_to_pass_through", round(passSecs / ours.toTopic()));
            double best = Double.MAX_VALUE;
            for (DslTimeline.Variant v : baselines) {
                TimelineRun.Seconds dsl = TimelineRun.dsl(bootstrap, registry, ns, v, admin, derived, settings);
                dsl.report(o, v.label(), inputs, derived);
                best = Math.min(best, dsl.toStore());
            }
            if (!baselines.isEmpty()) {
                o.put("ratio_join_to_best_dsl_store", round(best / ours.toStore()));
            }
        }
        o.put("ratio_rebuild_input_to_pass_through", round(passSecs / o.path("rebuild").path("seconds").asDouble()));
        return o.toString();
    }

    private static double round(double d) {
        return Math.round(d * 1000) / 1000.0;
    }

    /** Source topic to RocksDB store, nothing else; returns seconds to consume every input. */
    private double passThrough(String bootstrap, String ns, long inputs) throws Exception {
        AtomicLong seen = new AtomicLong();
        StreamsBuilder b = new StreamsBuilder();
        b.addStateStore(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore("pass"), Serdes.Bytes(), Serdes.ByteArray()));
        b.stream(List.of(ns + ".s", ns + ".p"), Consumed.with(Serdes.ByteArray(), Serdes.ByteArray()))
                .process(() -> new Processor<byte[], byte[], Void, Void>() {
                    private KeyValueStore<Bytes, byte[]> store;

                    @Override
                    public void init(ProcessorContext<Void, Void> ctx) {
                        store = ctx.getStateStore("pass");
                    }

                    @Override
                    public void process(Record<byte[], byte[]> r) {
                        store.put(Bytes.wrap(r.key()), r.value());
                        seen.incrementAndGet();
                    }
                }, "pass");
        Path dir = Files.createTempDirectory("pequod-bench-pass-");
        Properties p = new Properties();
        p.put(StreamsConfig.APPLICATION_ID_CONFIG, ns + "-pass");
        p.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(StreamsConfig.STATE_DIR_CONFIG, dir.toString());
        p.put(StreamsConfig.STATESTORE_CACHE_MAX_BYTES_CONFIG, 0);
        p.put(StreamsConfig.consumerPrefix("auto.offset.reset"), "earliest");
        p.put(StreamsConfig.producerPrefix("linger.ms"), 5);
        try (TempDir deleting = new TempDir(dir); KafkaStreams ks = new KafkaStreams(b.build(), p)) {
            ks.start();
            StallGuard starting = new StallGuard("the pass-through application starting (0: not RUNNING)", 1);
            while (ks.state() != KafkaStreams.State.RUNNING) {
                Thread.sleep(5);
                starting.progressed(0);
            }
            long t0 = System.nanoTime();
            Progress bar = new Progress(System.err, "bench joins: pass-through", "records", inputs, true);
            StallGuard stall = new StallGuard("records seen by the pass-through", inputs);
            while (seen.get() < inputs) {
                Thread.sleep(20);
                bar.update(seen.get(), seen.get());
                stall.progressed(seen.get());
            }
            double secs = (System.nanoTime() - t0) / 1e9;
            bar.finish(inputs, inputs);
            ks.close(CloseOptions.groupMembershipOperation(CloseOptions.GroupMembershipOperation.LEAVE_GROUP));
            return secs;
        }
    }

    /**
     * The timeline join as deployed (the tables application and the view's): seconds until every
     * derived row is in the timeline topic and in the {@code table-t} store; then {@code rebuild t}
     * (erase the view, a new generation re-reads both tables from the start), reported under
     * {@code rebuild}: seconds until that generation has committed every input record.
     */
    private TimelineRun.Seconds join(String bootstrap, String registry, String ns, long derived, long inputs, Admin admin,
                                     ObjectNode report) throws Exception {
        Path dir = Files.createTempDirectory("pequod-bench-join-");
        AtomicLong rows = new AtomicLong();
        String timeline = ns + ".t";
        try (TempDir deleting = new TempDir(dir);
             ViewEngine e = ViewEngine.builder().config(settings).bootstrapServers(bootstrap).schemaRegistryUrl(registry).namespace(ns)
                     .spec(JoinSpecParser.parse("twitter.pq", TwitterData.TWITTER_JOIN)).stateDir(dir).partitions(8).build()) {
            e.progress().addListener(a -> {
                if (a.value() != null && a.topic().equals(timeline)) {
                    rows.incrementAndGet();
                }
            });
            e.start();
            StallGuard starting = new StallGuard("the join's applications starting (0: not RUNNING)", 1);
            while (!e.awaitRunning(Duration.ofMillis(5))) {
                Thread.sleep(1);
                starting.progressed(0);
            }
            TimelineRun.Seconds s = TimelineRun.await("timeline join", admin, timeline, rows::get, derived, System.nanoTime());
            double rebuilt = rebuild(admin, e, inputs);
            ObjectNode r = report.putObject("rebuild");
            r.put("seconds", round(rebuilt));
            r.put("input_records_per_sec", Math.round(inputs / rebuilt));
            return s;
        }
    }

    /** {@code rebuild t}; @return seconds until the new generation has committed every record of both tables */
    private static double rebuild(Admin admin, ViewEngine e, long inputs) throws Exception {
        long t0 = System.nanoTime();
        String group = e.rebuild("t");
        Progress bar = new Progress(System.err, "bench joins: rebuild t", "records", inputs, true);
        StallGuard stall = new StallGuard("input records committed by the rebuilt view", inputs);
        long done = 0;
        while (done < inputs) {
            Thread.sleep(100);
            done = admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata().get(30, TimeUnit.SECONDS).entrySet().stream()
                    .filter(x -> x.getKey().topic().endsWith("-table-s-changelog") || x.getKey().topic().endsWith("-table-p-changelog"))
                    .mapToLong(x -> x.getValue() == null ? 0 : x.getValue().offset()).sum();
            bar.update(done, done);
            stall.progressed(done);
        }
        double secs = (System.nanoTime() - t0) / 1e9;
        bar.finish(done, done);
        return secs;
    }

    /** Deletes a temporary state directory when closed (after the Streams client that used it). */
    record TempDir(Path dir) implements AutoCloseable {
        @Override
        public void close() {
            Files2.deleteRecursively(dir);
        }
    }
}
