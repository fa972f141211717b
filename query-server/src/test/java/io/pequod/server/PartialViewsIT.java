package io.pequod.server;

import io.pequod.embedded.EmbeddedRuntime;
import io.pequod.embedded.Files2;
import io.pequod.server.query.QueryException;
import io.pequod.server.query.ReadNote;
import io.pequod.server.query.ScanResult;
import io.pequod.views.PartialViews;
import io.pequod.views.spec.JoinSpecParser;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import redis.clients.jedis.Jedis;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Partial views through a real broker: a read materializes its range (HTTP, RESP, memento), writes
 * racing the activations are neither lost nor doubled, ranges never read hold no rows, and past
 * the budget the least recently read ranges are evicted and materialized again when read. Every
 * timeline is compared with the join evaluated by hand over the writes this test made.
 */
@Timeout(600)
class PartialViewsIT {
    static final String SPEC = """
            t|<user>|<time>|<poster> = partial copy p|<poster>|<time> using s|<user>|<poster> where user:4, time:6, poster:4
            """;
    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private static EmbeddedRuntime runtime;
    private static final List<Path> dirs = new ArrayList<>();

    @BeforeAll
    static void start() {
        runtime = EmbeddedRuntime.start(null);
    }

    @AfterAll
    static void stop() {
        runtime.close();
        dirs.forEach(Files2::deleteRecursively);
    }

    private static PequodServer server(String ns, int budget) throws Exception {
        Path dir = Files.createTempDirectory("pequod-partial-");
        dirs.add(dir);
        PequodServer s = PequodServer.builder().bootstrapServers(runtime.bootstrapServers()).schemaRegistryUrl(runtime.schemaRegistryUrl())
                .namespace(ns).spec(JoinSpecParser.parse("partial.pq", SPEC)).dataDir(dir).httpPort(0).respPort(0).mementoPort(0)
                .partitions(4).config(Map.of("pequod.partial.max.ranges", budget)).build().start();
        assertTrue(s.awaitRunning(Duration.ofMinutes(2)));
        return s;
    }

    /** The test's own record of what it wrote: subscriptions and posts. */
    static final class Model {
        final Map<String, TreeSet<String>> follows = new ConcurrentHashMap<>();
        final Map<String, TreeMap<String, String>> posts = new ConcurrentHashMap<>();

        /** @return user's timeline: the join evaluated by hand */
        synchronized TreeMap<String, String> timeline(String user) {
            TreeMap<String, String> out = new TreeMap<>();
            for (String poster : follows.getOrDefault(user, new TreeSet<>())) {
                posts.getOrDefault(poster, new TreeMap<>()).forEach((time, v) -> out.put("t|" + user + "|" + time + "|" + poster, v));
            }
            return out;
        }

        synchronized void follow(String user, String poster, boolean yes) {
            TreeSet<String> s = follows.computeIfAbsent(user, u -> new TreeSet<>());
            if (yes) {
                s.add(poster);
            } else {
                s.remove(poster);
            }
        }

        synchronized void post(String poster, String time, String v) {
            TreeMap<String, String> m = posts.computeIfAbsent(poster, p -> new TreeMap<>());
            if (v == null) {
                m.remove(time);
            } else {
                m.put(time, v);
            }
        }
    }

    static String id(int i) {
        return String.format("%04d", i);
    }

    private static void write(PequodServer s, Model m, Random rnd, int users, int time) {
        int op = rnd.nextInt(10);
        String a = id(rnd.nextInt(users));
        String b = id(rnd.nextInt(users));
        if (op < 5) {
            String t = String.format("%06d", time);
            String v = "post " + time;
            s.service().put(("p|" + b + "|" + t).getBytes(StandardCharsets.UTF_8), v.getBytes(StandardCharsets.UTF_8));
            m.post(b, t, v);
        } else if (op < 8) {
            s.service().put(("s|" + a + "|" + b).getBytes(StandardCharsets.UTF_8), "1".getBytes(StandardCharsets.UTF_8));
            m.follow(a, b, true);
        } else if (op < 9) {
            s.service().erase(("s|" + a + "|" + b).getBytes(StandardCharsets.UTF_8));
            m.follow(a, b, false);
        } else {
            TreeMap<String, String> ps = m.posts.get(b);
            String t;
            synchronized (m) {
                t = ps == null || ps.isEmpty() ? null : ps.firstKey();
            }
            if (t != null) {
                s.service().erase(("p|" + b + "|" + t).getBytes(StandardCharsets.UTF_8));
                m.post(b, t, null);
            }
        }
    }

    static TreeMap<String, String> timeline(PequodServer s, String user) {
        ScanResult r = s.service().scan(("t|" + user + "|").getBytes(StandardCharsets.UTF_8),
                ("t|" + user + "}").getBytes(StandardCharsets.UTF_8), 10_000, null, false, new ReadNote());
        TreeMap<String, String> out = new TreeMap<>();
        r.entries().forEach(e -> out.put(new String(e.key(), StandardCharsets.UTF_8), new String(e.value(), StandardCharsets.UTF_8)));
        return out;
    }

    /** @return the rows the view's stores hold for a user, read directly (no materialization) */
    static TreeMap<String, String> stored(PequodServer s, String user) {
        TreeMap<String, String> out = new TreeMap<>();
        try (KeyValueIterator<Bytes, byte[]> it = s.engine().catalog().store("t").range(Bytes.wrap(("t|" + user + "|").getBytes(
                StandardCharsets.UTF_8)), Bytes.wrap(("t|" + user + "}").getBytes(StandardCharsets.UTF_8)))) {
            while (it.hasNext()) {
                KeyValue<Bytes, byte[]> kv = it.next();
                out.put(new String(kv.key.get(), StandardCharsets.UTF_8), new String(kv.value, StandardCharsets.UTF_8));
            }
        }
        return out;
    }

    @Test
    void readsMaterializeTheirRangesExactlyWhileWritesRaceTheBackFills() throws Exception {
        PequodServer s = server("partialrace", 100_000);
        try {
            int users = 40;
            int neverRead = 30; // users 30..39 are not read until the end
            Model m = new Model();
            Random rnd = new Random(7);
            AtomicLong time = new AtomicLong();
            for (int i = 0; i < 400; i++) {
                write(s, m, rnd, users, (int) time.incrementAndGet());
            }
            AtomicBoolean stop = new AtomicBoolean();
            AtomicLong reads = new AtomicLong();
            List<Throwable> failures = new ArrayList<>();
            List<Thread> readers = new ArrayList<>();
            for (int r = 0; r < 3; r++) {
                int seed = r;
                Thread t = new Thread(() -> {
                    Random rr = new Random(100 + seed);
                    try {
                        while (!stop.get()) {
                            timeline(s, id(rr.nextInt(neverRead)));
                            reads.incrementAndGet();
                        }
                    } catch (Throwable e) {
                        failures.add(e);
                    }
                }, "reader-" + r);
                t.start();
                readers.add(t);
            }
            // writes race the activations the readers cause
            long until = System.nanoTime() + Duration.ofSeconds(3).toNanos();
            while (System.nanoTime() < until) {
                write(s, m, rnd, users, (int) time.incrementAndGet());
            }
            stop.set(true);
            for (Thread t : readers) {
                t.join(60_000);
            }
            assertTrue(failures.isEmpty(), "reads failed: " + failures);
            assertTrue(reads.get() > 30, "the readers ran: " + reads.get());
            assertTrue(s.service().settleAll(Duration.ofSeconds(60)), "settled");
            for (int u = neverRead; u < users; u++) {
                assertEquals(Map.of(), stored(s, id(u)), "user " + id(u) + " was never read: nothing materialized");
            }
            List<String> wrong = new ArrayList<>();
            for (int u = 0; u < users; u++) {
                TreeMap<String, String> expected = m.timeline(id(u));
                TreeMap<String, String> got = timeline(s, id(u));
                if (!expected.equals(got)) {
                    wrong.add(id(u) + ": expected " + expected + " got " + got);
                }
            }
            assertEquals(List.of(), wrong);
            PartialViews.Stats st = s.engine().partialViews().stats().get("t");
            assertEquals(users, st.ranges(), "every user's timeline is materialized now: " + st);
            assertTrue(st.activations() >= users && st.backfills() >= users, st.toString());
            // and kept fresh eagerly from now on
            s.service().put("p|0001|999999".getBytes(StandardCharsets.UTF_8), "late".getBytes(StandardCharsets.UTF_8));
            m.post("0001", "999999", "late");
            assertTrue(s.service().settleAll(Duration.ofSeconds(60)));
            for (int u = 0; u < users; u++) {
                assertEquals(m.timeline(id(u)), stored(s, id(u)), "user " + id(u) + " after a post, in the store");
            }
        } finally {
            s.close();
        }
    }

    @Test
    void everyFrontEndMaterializesAndAReadAcrossRangesIsRefused() throws Exception {
        PequodServer s = server("partialfront", 100_000);
        try {
            Model m = new Model();
            s.service().put("s|0001|0002".getBytes(StandardCharsets.UTF_8), "1".getBytes(StandardCharsets.UTF_8));
            s.service().put("s|0003|0002".getBytes(StandardCharsets.UTF_8), "1".getBytes(StandardCharsets.UTF_8));
            s.service().put("s|0005|0002".getBytes(StandardCharsets.UTF_8), "1".getBytes(StandardCharsets.UTF_8));
            s.service().put("p|0002|000001".getBytes(StandardCharsets.UTF_8), "hello".getBytes(StandardCharsets.UTF_8));
            assertTrue(s.service().settleAll(Duration.ofSeconds(60)));
            assertEquals(Map.of(), stored(s, "0001"), "nothing materialized before a read");
            // HTTP scan
            HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + s.httpPort() + "/v1/scan?first="
                    + URLEncoder.encode("t|0001|", StandardCharsets.UTF_8) + "&last=" + URLEncoder.encode("t|0001}", StandardCharsets.UTF_8)))
                    .build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(200, r.statusCode(), r.body());
            assertTrue(r.body().contains("\"t|0001|000001|0002\"") && r.body().contains("hello"), r.body());
            // RESP GET of one key of a range
            try (Jedis j = new Jedis("127.0.0.1", s.respPort(), 30_000)) {
                assertEquals("hello", j.get("t|0003|000001|0002"));
            }
            // memento GET
            try (Socket sock = new Socket("127.0.0.1", s.mementoPort())) {
                OutputStream out = sock.getOutputStream();
                BufferedReader in = new BufferedReader(new InputStreamReader(sock.getInputStream(), StandardCharsets.UTF_8));
                out.write("GET t|0005|000001|0002\r\n".getBytes(StandardCharsets.UTF_8));
                out.flush();
                assertEquals("hello", in.readLine());
            }
            assertEquals(3, s.engine().partialViews().stats().get("t").ranges());
            HttpResponse<String> health = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + s.httpPort() + "/health"))
                    .build(), HttpResponse.BodyHandlers.ofString());
            assertTrue(health.body().contains("\"partial_views\":{\"t\":{\"ranges\":3,\"activations\":3"), health.body());
            HttpResponse<String> metrics = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + s.httpPort() + "/metrics"))
                    .build(), HttpResponse.BodyHandlers.ofString());
            assertTrue(metrics.body().contains("pequod_partial_ranges{view=\"t\"} 3.0"), metrics.body());
            assertTrue(metrics.body().contains("pequod_partial_backfills{view=\"t\"} 3.0"), metrics.body());
            // a read spanning ranges: a clear 400 naming the view, and the connection goes on
            HttpResponse<String> bad = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + s.httpPort()
                    + "/v1/count?first=t%7C&last=t%7D")).build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(400, bad.statusCode(), bad.body());
            assertTrue(bad.body().contains("view t is partial"), bad.body());
            try {
                s.service().count("t|0001|".getBytes(StandardCharsets.UTF_8), "t|0002}".getBytes(StandardCharsets.UTF_8), null, false,
                        new ReadNote());
                throw new AssertionError("a count across two users' timelines must be refused");
            } catch (QueryException expected) {
                assertTrue(expected.getMessage().contains("partial"), expected.getMessage());
            }
            m.follow("0001", "0002", true);
            m.post("0002", "000001", "hello");
            assertEquals(m.timeline("0001"), timeline(s, "0001"));
        } finally {
            s.close();
        }
    }

    @Test
    void pastTheBudgetTheLeastRecentlyReadRangesAreEvictedAndMaterializedAgain() throws Exception {
        int budget = 4;
        PequodServer s = server("partialevict", budget);
        try {
            Model m = new Model();
            Random rnd = new Random(11);
            for (int i = 0; i < 300; i++) {
                write(s, m, rnd, 12, i + 1);
            }
            for (int u = 0; u < 4; u++) {
                assertEquals(m.timeline(id(u)), timeline(s, id(u)));
            }
            Thread.sleep(1_200); // older than the eviction grace
            for (int u = 4; u < 8; u++) {
                assertEquals(m.timeline(id(u)), timeline(s, id(u)));
            }
            PartialViews.Stats st = eventuallyEvicted(s);
            assertTrue(st.evictions() >= 1, st.toString());
            assertTrue(s.service().settleAll(Duration.ofSeconds(60)));
            // the least recently read (users 0..3) went first: their rows are erased from the store
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            int evictedUser = -1;
            while (evictedUser < 0 && System.nanoTime() < deadline) {
                for (int u = 0; u < 4; u++) {
                    if (!m.timeline(id(u)).isEmpty() && stored(s, id(u)).isEmpty()) {
                        evictedUser = u;
                    }
                }
                Thread.sleep(50);
            }
            assertTrue(evictedUser >= 0, "an evicted timeline's rows leave the store");
            for (int u = 4; u < 8; u++) {
                assertEquals(m.timeline(id(u)), stored(s, id(u)), "recently read user " + id(u) + " stays materialized");
            }
            long activations = s.engine().partialViews().stats().get("t").activations();
            // writes to an evicted range are not maintained, and its next read materializes it again, exact
            for (int i = 0; i < 50; i++) {
                write(s, m, rnd, 12, 1000 + i);
            }
            assertEquals(m.timeline(id(evictedUser)), timeline(s, id(evictedUser)));
            assertTrue(s.engine().partialViews().stats().get("t").activations() > activations);
        } finally {
            s.close();
        }
    }

    @Test
    void twoInstancesMaterializeTheRangesEitherOwnsAndAPeerLeavingLosesNothing() throws Exception {
        PequodServer one = server("partialtwo", 100_000);
        PequodServer two = server("partialtwo", 100_000);
        try {
            Model m = new Model();
            Random rnd = new Random(3);
            for (int i = 0; i < 400; i++) {
                write(one, m, rnd, 24, i + 1);
            }
            assertTrue(one.service().settleAll(Duration.ofSeconds(60)));
            // every read through either instance, routed to the range's owner, which materializes it
            for (int u = 0; u < 24; u++) {
                PequodServer via = u % 2 == 0 ? one : two;
                assertEquals(m.timeline(id(u)), retrying(via, id(u)), "user " + id(u) + " through instance " + (u % 2 + 1));
            }
            long ranges = one.engine().partialViews().stats().get("t").ranges() + two.engine().partialViews().stats().get("t").ranges();
            assertTrue(ranges >= 24, "each range materialized where it is owned (standbys learn them too): " + ranges);
            // the second instance leaves: its partitions move to the first, which knows their ranges
            two.close();
            for (int i = 0; i < 100; i++) {
                write(one, m, rnd, 24, 1000 + i);
            }
            long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
            while (!(one.service().singleInstance() && ownsEveryPartition(one)) && System.nanoTime() < deadline) {
                Thread.sleep(200); // the group moves the peer's partitions here (settling before would not wait for them)
            }
            assertTrue(ownsEveryPartition(one), "the peer's partitions moved here");
            assertTrue(one.awaitRunning(Duration.ofSeconds(120)));
            boolean settled = false;
            while (!settled && System.nanoTime() < deadline) {
                try {
                    settled = one.service().settleAll(Duration.ofSeconds(60));
                } catch (QueryException stillMoving) {
                    Thread.sleep(500); // the group has not noticed the peer left yet
                }
            }
            assertTrue(settled, "the instance left settles");
            for (int u = 0; u < 24; u++) {
                assertEquals(m.timeline(id(u)), retrying(one, id(u)), "user " + id(u) + " after the peer left");
            }
        } finally {
            two.close();
            one.close();
        }
    }

    /** @return whether this instance's tasks own every partition of the tables and the view */
    private static boolean ownsEveryPartition(PequodServer s) {
        var c = s.engine().catalog();
        for (String table : List.of("s", "p", "t")) {
            for (int p = 0; p < c.partitions(table); p++) {
                if (!c.isActiveHere(table, p)) {
                    return false;
                }
            }
        }
        return true;
    }

    /** A timeline read, retried while partitions move (503 and stale copies). */
    private static TreeMap<String, String> retrying(PequodServer s, String user) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
        while (true) {
            try {
                ReadNote note = new ReadNote();
                ScanResult r = s.service().scan(("t|" + user + "|").getBytes(StandardCharsets.UTF_8),
                        ("t|" + user + "}").getBytes(StandardCharsets.UTF_8), 10_000, null, false, note);
                TreeMap<String, String> out = new TreeMap<>();
                r.entries().forEach(e -> out.put(new String(e.key(), StandardCharsets.UTF_8), new String(e.value(), StandardCharsets.UTF_8)));
                return out;
            } catch (QueryException moving) {
                if (System.nanoTime() > deadline) {
                    throw moving;
                }
                Thread.sleep(200);
            }
        }
    }

    private static PartialViews.Stats eventuallyEvicted(PequodServer s) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        PartialViews.Stats st = s.engine().partialViews().stats().get("t");
        while (st.evictions() == 0 && System.nanoTime() < deadline) {
            Thread.sleep(50);
            st = s.engine().partialViews().stats().get("t");
        }
        return st;
    }
}
