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

    /**
     * @param users   users
     * @param follows subscriptions per user
     * @param rate    posts per second
     * @param seconds how long to post
     * @param warmupSeconds how long to post before measuring
     */
    public FreshnessBenchmark(int users, int follows, int rate, int seconds, int warmupSeconds) {
        this(users, follows, rate, seconds, warmupSeconds, false);
    }

    /**
     * @param users   users
     * @param follows followers per user
     * @param rate    posts per second
     * @param seconds how long to post
     * @param warmupSeconds how long to post before measuring
     * @param trace   whether to print each post's acknowledgement and visibility times to stderr
     */
    public FreshnessBenchmark(int users, int follows, int rate, int seconds, int warmupSeconds, boolean trace) {
        this.trace = trace;
        this.warmupSeconds = warmupSeconds;
        this.users = users;
        this.follows = follows;
        this.rate = rate;
        this.seconds = seconds;
    }

    /**
     * @return the result as JSON
     * @throws Exception if Kafka fails
     */
    public String run() throws Exception {
        System.err.println("bench freshness: starting the embedded broker and registry ...");
        try (EmbeddedRuntime rt = EmbeddedRuntime.start(null)) {
            return measure(rt.bootstrapServers(), rt.schemaRegistryUrl());
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

    private String measure(String bootstrap, String registry) throws Exception {
        String ns = "benchfresh" + Long.toHexString(System.currentTimeMillis());
        TwitterData data = new TwitterData(users, follows, 3);
        Timings timings = new Timings(ns);
        Path dir = Files.createTempDirectory("pequod-bench-fresh-");
        try (JoinBenchmark.TempDir deleting = new JoinBenchmark.TempDir(dir);
             ViewEngine e = ViewEngine.builder().bootstrapServers(bootstrap).schemaRegistryUrl(registry).namespace(ns)
                .spec(JoinSpecParser.parse("twitter.pq", TwitterData.TWITTER_JOIN))
                .stateDir(dir).partitions(8).build().start();
             ChangeWriter w = ChangeWriter.builder().bootstrapServers(bootstrap).schemaRegistryUrl(registry).namespace(ns)
                     .partitions(8).build()) {
            e.progress().addListener(timings.listener);
            e.awaitRunning(Duration.ofMinutes(2));
            subscribe(w, data, timings);
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
            int total = rate * seconds;
            Progress bar = new Progress(System.err, "bench freshness: posting", "posts", total, true);
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
            e.progress().removeListener(timings.listener);
            if (trace) {
                TreeMapHolder.trace(timings.postAcked, timings.postVisible, start);
            }
            return result(data, total, Timings.latencies(timings.acked, timings.visible),
                    Timings.latencies(timings.postAcked, timings.postVisible));
        }
    }

    /** Writes the follow graph and waits until the tables and the view have it. */
    private static void subscribe(ChangeWriter w, TwitterData data, Timings timings) throws InterruptedException {
        for (int[] f : data.follows) {
            w.put(TwitterData.s(f[0], f[1]), "1");
        }
        w.flush();
        StallGuard stall = new StallGuard("subscriptions applied by the tables application", data.follows.size());
        while (timings.subsApplied.get() < data.follows.size()) {
            Thread.sleep(50);
            stall.progressed(timings.subsApplied.get());
        }
        Thread.sleep(2000); // let the view application absorb the subscriptions too
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

    private String result(TwitterData data, int total, List<Double> ms, List<Double> postMs) {
        ObjectNode o = new ObjectMapper().createObjectNode();
        o.put("benchmark", "freshness");
        o.put("users", users);
        o.put("subscriptions", data.follows.size());
        o.put("posts_per_sec", rate);
        o.put("posts", total);
        o.put("warmup_seconds", warmupSeconds);
        o.put("measured", ms.size());
        o.put("never_visible", total - ms.size());
        o.put("ack_to_visible_ms_p50", pct(ms, 50));
        o.put("ack_to_visible_ms_p90", pct(ms, 90));
        o.put("ack_to_visible_ms_p99", pct(ms, 99));
        o.put("ack_to_visible_ms_max", ms.isEmpty() ? 0 : round(ms.get(ms.size() - 1)));
        ObjectNode base = o.putObject("base_table_p");
        base.put("ack_to_visible_ms_p50", pct(postMs, 50));
        base.put("ack_to_visible_ms_p99", pct(postMs, 99));
        return o.toString();
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
