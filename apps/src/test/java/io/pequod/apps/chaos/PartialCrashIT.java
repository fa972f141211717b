package io.pequod.apps.chaos;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.pequod.embedded.EmbeddedRuntime;
import io.pequod.embedded.Ports;
import io.pequod.ingest.ChangeWriter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * A partial view survives {@code kill -9} during its back-fills: a real {@code serve} process is
 * killed while dozens of reads materialize timelines and writes go on (straight to Kafka, so none
 * is lost); after the restart every timeline read equals the join evaluated by hand over what was
 * written, whether its activation had finished, was half done or had not been read by the
 * instance before the kill; and the restarted instance keeps the materialized timelines fresh.
 */
@Timeout(600)
class PartialCrashIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private static final int USERS = 80;
    private static final String READ = "/v1/scan?first=s&last=t&limit=1";

    private final Map<Integer, TreeSet<Integer>> follows = new TreeMap<>();
    private final Map<Integer, TreeMap<Long, String>> posts = new TreeMap<>();

    static String id(int i) {
        return String.format("%08d", i);
    }

    private synchronized TreeMap<String, String> expected(int user) {
        TreeMap<String, String> out = new TreeMap<>();
        for (int poster : follows.getOrDefault(user, new TreeSet<>())) {
            posts.getOrDefault(poster, new TreeMap<>()).forEach((time, v) -> out.put("t|" + id(user) + "|"
                    + String.format("%010d", time) + "|" + id(poster), v));
        }
        return out;
    }

    private void write(ChangeWriter w, Random rnd, long time) throws Exception {
        int a = rnd.nextInt(USERS);
        int b = rnd.nextInt(USERS);
        int op = rnd.nextInt(10);
        if (op < 6) {
            String v = "post " + time;
            w.put("p|" + id(b) + "|" + String.format("%010d", time), v).get();
            synchronized (this) {
                posts.computeIfAbsent(b, x -> new TreeMap<>()).put(time, v);
            }
        } else if (op < 9) {
            w.put("s|" + id(a) + "|" + id(b), "1").get();
            synchronized (this) {
                follows.computeIfAbsent(a, x -> new TreeSet<>()).add(b);
            }
        } else {
            w.erase("s|" + id(a) + "|" + id(b)).get();
            synchronized (this) {
                follows.computeIfAbsent(a, x -> new TreeSet<>()).remove(b);
            }
        }
    }

    private static CompletableFuture<TreeMap<String, String>> timeline(String url, int user) {
        String q = "/v1/scan?limit=10000&first=" + URLEncoder.encode("t|" + id(user) + "|", StandardCharsets.UTF_8) + "&last="
                + URLEncoder.encode("t|" + id(user) + "}", StandardCharsets.UTF_8);
        return HTTP.sendAsync(HttpRequest.newBuilder(URI.create(url + q)).timeout(Duration.ofSeconds(60)).build(),
                HttpResponse.BodyHandlers.ofString()).thenApply(r -> {
                    if (r.statusCode() != 200) {
                        throw new IllegalStateException("user " + id(user) + ": " + r.statusCode() + " " + r.body());
                    }
                    try {
                        TreeMap<String, String> m = new TreeMap<>();
                        JSON.readTree(r.body()).path("entries").forEach(e -> m.put(e.path("key").asText(), e.path("value").asText()));
                        return m;
                    } catch (Exception e) {
                        throw new IllegalStateException(e);
                    }
                });
    }

    @Test
    void killedDuringBackFillsEveryTimelineReadAfterTheRestartEqualsTheJoin(@TempDir Path dir) throws Exception {
        try (EmbeddedRuntime rt = EmbeddedRuntime.start(dir.resolve("kafka"), 0, 0)) {
            List<String> args = List.of("--joins", Path.of("..", "examples", "twitter-partial.pq").toAbsolutePath().toString(),
                    "--namespace", "partialcrash", "--resp-port", Integer.toString(Ports.free()),
                    "--bootstrap-servers", rt.bootstrapServers(), "--schema-registry", rt.schemaRegistryUrl());
            int port = Ports.free();
            ServeProcess a = new ServeProcess("instance", dir.resolve("a"), port, args, List.of()).start();
            try (ChangeWriter w = ChangeWriter.builder().bootstrapServers(rt.bootstrapServers())
                    .schemaRegistryUrl(rt.schemaRegistryUrl()).namespace("partialcrash").partitions(8).build()) {
                a.awaitServing(READ, Duration.ofMinutes(3));
                Random rnd = new Random(5);
                long time = 1;
                for (; time <= 1500; time++) {
                    write(w, rnd, time);
                }
                settle(a.url());
                // reads materialize timelines while writes race them; the instance dies in the middle
                AtomicBoolean stop = new AtomicBoolean();
                AtomicInteger writes = new AtomicInteger();
                long start = time;
                Thread writer = new Thread(() -> {
                    Random wr = new Random(9);
                    try {
                        for (long t = start; !stop.get(); t++) {
                            write(w, wr, t);
                            writes.incrementAndGet();
                        }
                    } catch (Exception e) {
                        throw new IllegalStateException(e);
                    }
                }, "writer");
                writer.start();
                List<CompletableFuture<TreeMap<String, String>>> reads = new ArrayList<>();
                for (int u = 0; u < USERS; u++) {
                    reads.add(timeline(a.url(), u));
                }
                // killed once a quarter of the reads are answered: some ranges complete, others half back-filled
                long done = 0;
                for (long until = System.nanoTime() + Duration.ofSeconds(20).toNanos(); done < USERS / 4 && System.nanoTime() < until; ) {
                    Thread.sleep(2);
                    done = reads.stream().filter(f -> f.isDone() && !f.isCompletedExceptionally()).count();
                }
                a.kill();
                Thread.sleep(1000);
                stop.set(true);
                writer.join(30_000);
                assertTrue(writes.get() > 20, "writes raced the activations: " + writes.get());
                assertTrue(done < USERS, "the kill came before every read was answered: " + done);
                System.out.println("partial crash: " + done + " of " + USERS + " reads answered before the kill, "
                        + writes.get() + " writes during");
                a = new ServeProcess("instance", dir.resolve("a"), port, args, List.of()).start();
                a.awaitServing(READ, Duration.ofMinutes(3));
                settle(a.url());
                List<String> wrong = new ArrayList<>();
                for (int u = 0; u < USERS; u++) {
                    TreeMap<String, String> got = timeline(a.url(), u).get();
                    if (!got.equals(expected(u))) {
                        wrong.add(id(u) + ": expected " + expected(u).size() + " rows, got " + got.size());
                    }
                }
                if (!wrong.isEmpty()) {
                    fail(wrong.size() + " of " + USERS + " timelines differ from the join after the restart: " + wrong);
                }
                // and the restarted instance keeps them fresh
                Random more = new Random(13);
                for (long t = 1_000_000; t < 1_000_200; t++) {
                    write(w, more, t);
                }
                settle(a.url());
                for (int u = 0; u < USERS; u++) {
                    assertEquals(expected(u), timeline(a.url(), u).get(), "user " + id(u) + " after more writes");
                }
                JsonNode health = JSON.readTree(HTTP.send(HttpRequest.newBuilder(URI.create(a.url() + "/health")).build(),
                        HttpResponse.BodyHandlers.ofString()).body());
                assertEquals(USERS, health.path("partial_views").path("t").path("ranges").asInt(), health.toString());
            } finally {
                a.close();
            }
        }
    }

    private static void settle(String url) throws Exception {
        long deadline = System.nanoTime() + Duration.ofMinutes(2).toNanos();
        while (System.nanoTime() < deadline) {
            HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(url + "/v1/settle")).timeout(Duration.ofSeconds(60)).build(),
                    HttpResponse.BodyHandlers.ofString());
            if (r.statusCode() == 200) {
                return;
            }
            Thread.sleep(500);
        }
        fail("the instance did not settle");
    }
}
