package io.pequod.apps.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.pequod.embedded.EmbeddedRuntime;
import io.pequod.ingest.ChangeWriter;
import io.pequod.ingest.Progress;
import io.pequod.views.ViewEngine;
import io.pequod.views.progress.StoreProgress;
import io.pequod.views.spec.JoinSpecParser;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.CloseOptions;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import io.pequod.schemas.ChangeSerde;
import io.pequod.schemas.TableTopics;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Consumer;

/**
 * Freshness of the timeline join: posts are written at a steady rate; for each, the time from the
 * write's acknowledgement to the moment the derived timeline entry of one follower is applied to
 * this instance's {@code table-t} store (the store queries read).
 */
public final class FreshnessBenchmark {
    private final int users;
    private final int follows;
    private final int rate;
    private final int seconds;
    private final int warmupSeconds;
    private final boolean trace;
    private final List<DslTimeline.Variant> baselines;
    private Map<String, String> settings = Map.of();

    /**
     * @param users   users
     * @param follows subscriptions per user
     * @param rate    posts per second
     * @param seconds how long to post
     * @param warmupSeconds how long to post before measuring
     */
    public FreshnessBenchmark(int users, int follows, int rate, int seconds, int warmupSeconds) {
        this(users, follows, rate, seconds, warmupSeconds, false, List.of());
    }

    /**
     * @param users   users
     * @param follows followers per user
     * @param rate    posts per second
     * @param seconds how long to post
     * @param warmupSeconds how long to post before measuring
     * @param trace   whether to print each post's acknowledgement and visibility times to stderr
     * @param baselines DSL versions of the timeline to measure after ours, the same way
     */
    public FreshnessBenchmark(int users, int follows, int rate, int seconds, int warmupSeconds, boolean trace,
                              List<DslTimeline.Variant> baselines) {
        this.trace = trace;
        this.baselines = List.copyOf(baselines);
        this.warmupSeconds = warmupSeconds;
        this.users = users;
        this.follows = follows;
        this.rate = rate;
        this.seconds = seconds;
    }

    /**
     * @param nameValues engine settings ({@code serve --set} names: {@code streams.*} and the engine's
     *     own); those under {@code streams.} apply to the DSL baselines too
     * @return this benchmark
     */
    public FreshnessBenchmark withSettings(Map<String, String> nameValues) {
        this.settings = Map.copyOf(nameValues);
        return this;
    }

    /**
     * @return the result as JSON
     * @throws Exception if Kafka fails
     */
    public String run() throws Exception {
        System.err.println("bench freshness: starting the embedded broker and registry ...");
        try (EmbeddedRuntime rt = EmbeddedRuntime.start(null)) {
            ObjectNode o = new ObjectMapper().createObjectNode();
            o.put("benchmark", "freshness");
            o.put("users", users);
            o.put("subscriptions_per_user", follows);
            o.put("posts_per_sec", rate);
            o.put("posts", rate * seconds);
            o.put("warmup_seconds", warmupSeconds);
            ObjectNode ours = measure(rt.bootstrapServers(), rt.schemaRegistryUrl(), null);
            o.setAll(ours);
            for (DslTimeline.Variant v : baselines) {
                ObjectNode dsl = measure(rt.bootstrapServers(), rt.schemaRegistryUrl(), v);
                o.set(v.label(), dsl);
                o.put("ratio_p50_to_" + v.label(), round(ours.path("ack_to_visible_ms_p50").asDouble()
                        / Math.max(0.01, dsl.path("ack_to_visible_ms_p50").asDouble())));
            }
            return o.toString();
        }
    }

    /** When each record was acknowledged and became visible, by key, as the stores report them. */
    private static final class Timings {
        final Map<String, Long> acked = new ConcurrentHashMap<>();
        final Map<String, Long> visible = new ConcurrentHashMap<>();
        final Map<String, Long> postVisible = new ConcurrentHashMap<>();
        final Map<String, Long> postAcked = new ConcurrentHashMap<>();
        final AtomicLong subsApplied = new AtomicLong();
        final Consumer<StoreProgress.Applied> listener;

        Timings(String ns) {
            listener = a -> {
                if (a.topic().equals(ns + ".p")) {
                    postVisible.putIfAbsent(new String(a.key(), StandardCharsets.UTF_8), a.nanoTime());
                } else if (a.topic().equals(ns + ".t") && a.value() != null) {
                    visible.putIfAbsent(new String(a.key(), StandardCharsets.UTF_8), a.nanoTime());
                } else if (a.topic().equals(ns + ".s")) {
                    subsApplied.incrementAndGet();
                }
            };
        }

        /** @return acknowledgement-to-visible times in ms, sorted */
        static List<Double> latencies(Map<String, Long> acked, Map<String, Long> visible) {
            List<Double> ms = new ArrayList<>();
            acked.forEach((k, a) -> {
                Long v = visible.get(k);
                if (v != null) {
                    ms.add(Math.max(0, v - a) / 1e6);
                }
            });
            Collections.sort(ms);
            return ms;
        }
    }

    /** What is measured: our view engine, or a DSL version of the timeline, started in a state directory. */
    private interface Target extends AutoCloseable {
        /** Waits until the target has absorbed {@code n} subscriptions. */
        void awaitSubscriptions(long n) throws Exception;
    }

    private Target ours(String bootstrap, String registry, String ns, Path dir, Timings timings) throws Exception {
        ViewEngine e = ViewEngine.builder().config(settings).bootstrapServers(bootstrap).schemaRegistryUrl(registry).namespace(ns)
                .spec(JoinSpecParser.parse("twitter.pq", TwitterData.TWITTER_JOIN)).stateDir(dir).partitions(8).build().start();
        e.progress().addListener(timings.listener);
        e.awaitRunning(Duration.ofMinutes(2));
        return new Target() {
            @Override
            public void awaitSubscriptions(long n) throws InterruptedException {
                StallGuard stall = new StallGuard("subscriptions applied by the tables application", n);
                while (timings.subsApplied.get() < n) {
                    Thread.sleep(50);
                    stall.progressed(timings.subsApplied.get());
                }
                Thread.sleep(2000); // let the view application absorb the subscriptions too
            }

            @Override
            public void close() {
                e.progress().removeListener(timings.listener);
                e.close();
            }
        };
    }

    private Target dsl(String bootstrap, String registry, String ns, Path dir, Timings timings, DslTimeline.Variant variant)
            throws Exception {
        ChangeSerde changes = new ChangeSerde();
        changes.configure(Map.of(ChangeSerde.SCHEMA_REGISTRY_URL_CONFIG, registry), false);
        String app = ns + "-" + variant.label().replace('_', '-');
        KafkaStreams ks = new KafkaStreams(DslTimeline.topology(ns, changes, variant, 8, (k, live) -> {
            if (live) {
                timings.visible.putIfAbsent(k, System.nanoTime());
            }
        }), DslTimeline.settings(app, bootstrap, dir.toString(), variant == DslTimeline.Variant.TUNED ? 10L * 1024 * 1024 : 0, settings));
        Admin admin = Admin.create(Map.of("bootstrap.servers", bootstrap));
        // The DSL application needs its source topics before it starts (our engine creates them itself).
        admin.createTopics(List.of(ns + ".s", ns + ".p").stream()
                .map(t -> new NewTopic(t, 8, (short) -1).configs(TableTopics.TABLE_TOPIC_CONFIG)).toList())
                .all().get(30, TimeUnit.SECONDS);
        DslTimeline.createRowsTopic(admin, ns, variant, 8);
        ks.start();
        return new Target() {
            @Override
            public void awaitSubscriptions(long n) throws Exception {
                StallGuard stall = new StallGuard("subscriptions committed by " + app, n);
                long done = 0;
                while (done < n) {
                    Thread.sleep(100);
                    done = admin.listConsumerGroupOffsets(app).partitionsToOffsetAndMetadata().get(30, TimeUnit.SECONDS)
                            .entrySet().stream().filter(x -> x.getKey().topic().equals(ns + ".s") && x.getValue() != null)
                            .mapToLong(x -> x.getValue().offset()).sum();
                    stall.progressed(done);
                }
                Thread.sleep(2000); // and through the repartition topic
            }

            @Override
            public void close() {
                ks.close(CloseOptions.groupMembershipOperation(CloseOptions.GroupMembershipOperation.LEAVE_GROUP));
                admin.close();
            }
        };
    }

    /** One run against our engine ({@code variant == null}) or a DSL version, in a namespace of its own. */
    private ObjectNode measure(String bootstrap, String registry, DslTimeline.Variant variant) throws Exception {
        String ns = "benchfresh" + Long.toHexString(System.currentTimeMillis());
        TwitterData data = new TwitterData(users, follows, 3);
        Timings timings = new Timings(ns);
        Path dir = Files.createTempDirectory("pequod-bench-fresh-");
        try (JoinBenchmark.TempDir deleting = new JoinBenchmark.TempDir(dir);
             Target target = variant == null ? ours(bootstrap, registry, ns, dir, timings)
                     : dsl(bootstrap, registry, ns, dir, timings, variant);
             ChangeWriter w = ChangeWriter.builder().bootstrapServers(bootstrap).schemaRegistryUrl(registry).namespace(ns)
                     .partitions(8).build()) {
            for (int[] f : data.follows) {
                w.put(TwitterData.s(f[0], f[1]), "1");
            }
            w.flush();
            target.awaitSubscriptions(data.follows.size());
            List<Integer> posters = new ArrayList<>();
            for (int u = 0; u < users; u++) {
                if (!data.followersOf.get(u).isEmpty()) {
                    posters.add(u);
                }
            }
            Random rnd = new Random(5);
            // Warm-up: the same load, not measured (JIT compilation on 2 cores stalls the first seconds).
            post(w, rate * warmupSeconds, (i, poster) -> w.put(TwitterData.p(poster, 1_500_000_000L + i), "warm-up"), posters, rnd, null);
            w.flush();
            Thread.sleep(1000);
            return posting(w, data, timings, posters, rnd, variant);
        }
    }

    /** The measured posts, then the latencies of those that became visible within 30 s of the last. */
    private ObjectNode posting(ChangeWriter w, TwitterData data, Timings timings, List<Integer> posters, Random rnd,
                               DslTimeline.Variant variant) throws InterruptedException {
        int total = rate * seconds;
        String label = "bench freshness: posting" + (variant == null ? "" : " (" + variant.label() + ")");
        Progress bar = new Progress(System.err, label, "posts", total, true);
        long start = post(w, total, (i, poster) -> {
            long time = 2_000_000_000L + i;
            String expect = TwitterData.t(Collections.min(data.followersOf.get(poster)), time, poster);
            String post = TwitterData.p(poster, time);
            w.put(post, "tweet").thenAccept(pos -> {
                long now = System.nanoTime();
                timings.acked.put(expect, now);
                timings.postAcked.put(post, now);
            });
        }, posters, rnd, bar);
        bar.finish(total, total);
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (timings.acked.keySet().stream().filter(timings.visible::containsKey).count() < total && System.nanoTime() < deadline) {
            Thread.sleep(50);
        }
        if (trace) {
            TreeMapHolder.trace(timings.acked, timings.visible, start);
        }
        return result(total, Timings.latencies(timings.acked, timings.visible),
                variant == null ? Timings.latencies(timings.postAcked, timings.postVisible) : null);
    }

    /** One post of a run: the i-th, by a poster. */
    private interface Poster {
        void post(int i, int poster);
    }

    /** Posts {@code n} times at the benchmark's rate (open loop). @return when the first was due */
    private long post(ChangeWriter w, int n, Poster p, List<Integer> posters, Random rnd, Progress bar) {
        long interval = 1_000_000_000L / rate;
        long start = System.nanoTime();
        for (int i = 0; i < n; i++) {
            long wait = start + i * interval - System.nanoTime();
            if (wait > 0) {
                LockSupport.parkNanos(wait);
            }
            p.post(i, posters.get(rnd.nextInt(posters.size())));
            if (bar != null) {
                bar.update(i, i);
            }
        }
        return start;
    }

    private static ObjectNode result(int total, List<Double> ms, List<Double> postMs) {
        ObjectNode o = new ObjectMapper().createObjectNode();
        o.put("measured", ms.size());
        o.put("never_visible", total - ms.size());
        o.put("ack_to_visible_ms_p50", pct(ms, 50));
        o.put("ack_to_visible_ms_p90", pct(ms, 90));
        o.put("ack_to_visible_ms_p99", pct(ms, 99));
        o.put("ack_to_visible_ms_max", ms.isEmpty() ? 0 : round(ms.get(ms.size() - 1)));
        if (postMs != null) {
            ObjectNode base = o.putObject("base_table_p");
            base.put("ack_to_visible_ms_p50", pct(postMs, 50));
            base.put("ack_to_visible_ms_p99", pct(postMs, 99));
        }
        return o;
    }

    private static double pct(List<Double> sorted, double p) {
        if (sorted.isEmpty()) {
            return 0;
        }
        int i = (int) Math.ceil(p / 100.0 * sorted.size()) - 1;
        return round(sorted.get(Math.max(0, Math.min(sorted.size() - 1, i))));
    }

    private static double round(double d) {
        return Math.round(d * 100) / 100.0;
    }

    /** Debug output: worst latency per 100 ms of posting, to see whether stalls are periodic. */
    static final class TreeMapHolder {
        static void trace(Map<String, Long> acked, Map<String, Long> visible, long start) {
            TreeMap<Long, Double> worst = new TreeMap<>();
            acked.forEach((k, a) -> {
                Long v = visible.get(k);
                if (v != null) {
                    worst.merge((a - start) / 100_000_000L, (v - a) / 1e6, Math::max);
                }
            });
            StringBuilder sb = new StringBuilder();
            worst.forEach((slot, ms) -> sb.append(slot).append(':').append(Math.round(ms)).append(' '));
            System.err.println("\nworst per 100ms: " + sb);
        }
    }
}
