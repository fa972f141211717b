package io.pequod.apps.workload;

import com.fasterxml.jackson.databind.JsonNode;
import io.pequod.apps.cli.PequodCli;
import io.pequod.embedded.EmbeddedRuntime;
import io.pequod.server.PequodServer;
import io.pequod.views.spec.JoinSpecParser;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The twitternew workload through a real server reads exactly the posts the in-memory reference reads. */
@Timeout(600)
class TwitterWorkloadIT {
    /** One broker and registry for the class; each test has a namespace of its own. */
    private static EmbeddedRuntime runtime;

    @BeforeAll
    static void start() {
        runtime = EmbeddedRuntime.start(null);
    }

    @AfterAll
    static void stop() {
        runtime.close();
    }

    @Test
    void thePartialJoinMaterializesOnlyTheTimelinesReadAndReadsExactlyWhatTheReferenceReads(@TempDir Path dir) throws Exception {
        String spec = Files.readString(Path.of("..", "examples", "twitter-partial.pq"));
        try (PequodServer s = PequodServer.builder().bootstrapServers(runtime.bootstrapServers()).schemaRegistryUrl(runtime.schemaRegistryUrl())
                     .namespace("twp").dataDir(dir).httpPort(0).respPort(-1).build().start()) {
            assertTrue(s.awaitRunning(Duration.ofMinutes(2)));
            String url = "http://127.0.0.1:" + s.httpPort();
            TwitterWorkload.Options o = new TwitterWorkload.Options(200, 60_000, 0.1, 7, false, 0, TwitterWorkload.Timelines.PARTIAL,
                    0, 1, null);
            TwitterWorkload.Result r = new TwitterWorkload(o).coldReads(20)
                    .run(new TwitterWorkload.Spec("twitter-partial.pq", spec), true, true, url);
            long expected = TwitterReference.reference(200, 60_000, 0.1, 7, 0);
            assertTrue(expected > 100, "the run reads posts: " + expected);
            assertEquals(expected, r.postsRead(), r.json().toString());
            // 20 active users' timelines and the 20 cold ones read after the run, no others
            assertEquals(40, s.engine().partialViews().stats().get("t").ranges(), s.engine().partialViews().stats().toString());
            JsonNode cold = r.json().path("cold_reads");
            assertEquals(20, cold.path("count").asInt(), cold.toString());
            assertTrue(r.json().path("timeline_rows").asLong() > 0, r.json().toString());
            WorkloadHttp web = new WorkloadHttp(url);
            JsonNode joins = WorkloadHttp.JSON.readTree(web.send("GET", "/v1/joins", null).body());
            assertEquals("partial", joins.path("joins").get(0).path("mode").asText(), joins.toString());
        }
    }

    @Test
    void shouldInstallTheJoinsThenReadExactlyWhatTheReferenceReads(@TempDir Path dir) throws Exception {
        String spec = Files.readString(Path.of("..", "examples", "twitter.pq"));
        try (PequodServer s = PequodServer.builder().bootstrapServers(runtime.bootstrapServers()).schemaRegistryUrl(runtime.schemaRegistryUrl())
                     .namespace("tw").dataDir(dir).httpPort(0).respPort(-1).build().start()) {
            assertTrue(s.awaitRunning(Duration.ofMinutes(2)));
            String url = "http://127.0.0.1:" + s.httpPort();
            // longer than the 100,000-tick skew: in-loop checks read posts of the loop, so the client
            // must wait for the views (settle) where a pending write could change a count
            TwitterWorkload w = new TwitterWorkload(options(false));
            // the initialize phase installs the join into the server, started without joins
            TwitterWorkload.Result r = w.run(new TwitterWorkload.Spec("twitter.pq", spec), true, true, url);
            assertEquals(1, r.json().path("initialize_joins_added").asInt(), r.json().toString());
            long expected = TwitterReference.reference(200, 110_000, 0.7, 7, 0);
            assertTrue(r.json().path("nsettles").asLong() > 0, "settles exercised: " + r.json());
            assertTrue(expected > 1000, "the run reads a sizable number of posts: " + expected);
            assertEquals(expected, r.postsRead());
            assertEquals(expected, r.json().path("nposts_read").asLong());
            assertTrue(r.json().path("write_to_visible_ms").path("t").path("count").asLong() > 0, "latencies reported: " + r.json());
            assertTrue(r.json().path("server_stats").path(0).path("tables").size() >= 3, "per-table stats: " + r.json());
            TwitterWorkload.Result fetched = new TwitterWorkload(options(true)).run(false, false, url);
            assertEquals(0, fetched.postsRead(), "no execute phase, nothing read");
            assertEquals(0, fetched.json().path("write_to_visible_ms").path("t").path("count").asLong(),
                    "latencies of this workload's writes only (it wrote nothing): " + fetched.json().path("write_to_visible_ms"));

            WorkloadHttp web = new WorkloadHttp(url);
            JsonNode joins = WorkloadHttp.JSON.readTree(web.send("GET", "/v1/joins", null).body());
            assertEquals(1, joins.path("joins").size(), joins.toString());
            assertEquals("t", joins.path("joins").get(0).path("sink").asText());
            HttpResponse<String> again = web.send("POST", "/v1/joins?name=twitter.pq", spec);
            assertEquals(200, again.statusCode(), again.body());
            assertEquals(0, WorkloadHttp.JSON.readTree(again.body()).path("added").size(), "installed already: " + again.body());
            HttpResponse<String> bad = web.send("POST", "/v1/joins?name=bad.pq", "\nfollowers|<poster> = count s|<user>|<nobody>");
            assertEquals(400, bad.statusCode(), bad.body());
            assertTrue(bad.body().contains("bad.pq:2:"), "names file and line: " + bad.body());
            HttpResponse<String> usersTable = web.send("POST", "/v1/joins?name=s.pq", "s|<user>|<poster> = copy p|<user>|<poster>");
            assertEquals(400, usersTable.statusCode(), usersTable.body());
            assertTrue(usersTable.body().contains("already exists as a table that users write"), usersTable.body());
            assertEquals(400, web.send("POST", "/v1/joins", " ").statusCode());
            HttpResponse<String> viewWrite = web.send("PUT", "/v1/keys/" + WorkloadHttp.enc("t|00000001|0000000001|00000002"), "x");
            assertEquals(400, viewWrite.statusCode(), "the installed view is read-only: " + viewWrite.body());
            // the same through the command line
            String listed = cli("joins", "--server", url);
            assertTrue(listed.contains("t  push copy  (twitter.pq:8:1)") && listed.contains("(1 joins, 0 sources;"), listed);
            String installedAgain = cli("install-joins", "--server", url, Path.of("..", "examples", "twitter.pq").toString());
            assertTrue(installedAgain.startsWith("nothing to install: every join of"), installedAgain);
        }
    }

    /** Runs a {@code pequod} command in this JVM; its standard output. */
    private static String cli(String... args) {
        PrintStream stdout = System.out;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int code;
        try {
            System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
            code = PequodCli.commandLine().execute(args);
        } finally {
            System.setOut(stdout);
        }
        String text = out.toString(StandardCharsets.UTF_8);
        assertEquals(0, code, String.join(" ", args) + ": " + text);
        return text;
    }

    @Test
    void shouldStayExactWithConcurrentClientsThatWaitForEachOthersWrites(@TempDir Path dir) throws Exception {
        String spec = Files.readString(Path.of("..", "examples", "twitter.pq"));
        try (PequodServer s = PequodServer.builder().bootstrapServers(runtime.bootstrapServers()).schemaRegistryUrl(runtime.schemaRegistryUrl())
                     .namespace("tw3").spec(JoinSpecParser.parse("twitter.pq", spec)).dataDir(dir).httpPort(0).respPort(-1)
                     .build().start()) {
            assertTrue(s.awaitRunning(Duration.ofMinutes(2)));
            // three clients, each with its own connection pool; the last 10,000 ticks' checks read
            // posts that other clients wrote during the run
            TwitterWorkload.Options o = new TwitterWorkload.Options(300, 120_000, 0.7, 11, false, 0,
                    TwitterWorkload.Timelines.JOIN, 0, 3, null);
            TwitterWorkload.Result r = new TwitterWorkload(o).run(true, true, "http://127.0.0.1:" + s.httpPort());
            long expected = TwitterReference.reference(300, 120_000, 0.7, 11, 0);
            assertTrue(r.json().path("exact").asBoolean(), r.json().toString());
            assertTrue(expected > 1000, "the run reads a sizable number of posts: " + expected);
            assertEquals(expected, r.postsRead());
        }
    }

    @Test
    void shouldStayExactWithClientProcessesThatReportTheirProgressThroughTheServer(@TempDir Path dir) throws Exception {
        String spec = Files.readString(Path.of("..", "examples", "twitter.pq"));
        try (PequodServer s = PequodServer.builder().bootstrapServers(runtime.bootstrapServers()).schemaRegistryUrl(runtime.schemaRegistryUrl())
                     .namespace("twq").dataDir(dir).httpPort(0).respPort(-1).build().start()) {
            assertTrue(s.awaitRunning(Duration.ofMinutes(2)));
            String url = "http://127.0.0.1:" + s.httpPort();
            // as `twitter --clients 2 --no-execute`, then `--client 0` and `--client 1` side by side
            new TwitterWorkload(clientOptions(null)).run(new TwitterWorkload.Spec("twitter.pq", spec), true, false, url);
            ExecutorService pool = Executors.newFixedThreadPool(2);
            try {
                Future<TwitterWorkload.Result> c0 = pool.submit(() -> new TwitterWorkload(clientOptions(0)).run(false, true, url));
                Future<TwitterWorkload.Result> c1 = pool.submit(() -> new TwitterWorkload(clientOptions(1)).run(false, true, url));
                long read0 = c0.get().postsRead();
                long read1 = c1.get().postsRead();
                assertTrue(read0 > 0 && read1 > 0, "both clients read: " + read0 + ", " + read1);
                assertEquals(TwitterReference.reference(300, 120_000, 0.7, 13, 0), read0 + read1);
            } finally {
                pool.shutdownNow();
            }
        }
    }

    private static TwitterWorkload.Options clientOptions(Integer index) {
        return new TwitterWorkload.Options(300, 120_000, 0.7, 13, false, 0, TwitterWorkload.Timelines.JOIN, 0, 2, index);
    }

    @Test
    void shouldRunOverAGivenGraphAndReadExactlyWhatTheReferenceReads(@TempDir Path dir) throws Exception {
        String spec = Files.readString(Path.of("..", "examples", "twitter.pq"));
        Random r = new Random(3);
        StringBuilder file = new StringBuilder("120\n");
        for (int follower = 0; follower < 120; follower++) {
            for (int k = 0; k < 15; k++) {
                file.append(r.nextInt(120)).append(' ').append(follower).append('\n');
            }
        }
        TwitterModel.Graph graph = TwitterModel.Graph.read(Files.writeString(dir.resolve("graph.txt"), file));
        try (PequodServer s = PequodServer.builder().bootstrapServers(runtime.bootstrapServers()).schemaRegistryUrl(runtime.schemaRegistryUrl())
                     .namespace("twg").dataDir(dir.resolve("data")).httpPort(0).respPort(-1).build().start()) {
            assertTrue(s.awaitRunning(Duration.ofMinutes(2)));
            TwitterWorkload.Options o = new TwitterWorkload.Options(120, 30_000, 0.7, 4, false, 50_000,
                    TwitterWorkload.Timelines.JOIN, 0, 1, null, graph);
            TwitterWorkload.Result res = new TwitterWorkload(o).run(new TwitterWorkload.Spec("twitter.pq", spec), true, true,
                    "http://127.0.0.1:" + s.httpPort());
            assertEquals(graph.follows().size(), res.json().path("nsubscriptions_populated").asInt(), "the file's follows");
            long expected = TwitterReference.reference(120, 30_000, 0.7, 4, 50_000, graph);
            assertTrue(expected > 100, "the run reads posts: " + expected);
            assertEquals(expected, res.postsRead());
        }
    }

    @Test
    void shouldPullCelebritiesPostsAndStillReadExactlyWhatTheReferenceReads(@TempDir Path dir) throws Exception {
        String spec = Files.readString(Path.of("..", "examples", "celebrity.pq"));
        try (PequodServer s = PequodServer.builder().bootstrapServers(runtime.bootstrapServers()).schemaRegistryUrl(runtime.schemaRegistryUrl())
                     .namespace("twc").spec(JoinSpecParser.parse("celebrity.pq", spec)).dataDir(dir).httpPort(0).respPort(-1)
                     .build().start()) {
            assertTrue(s.awaitRunning(Duration.ofMinutes(2)));
            // populate posts before the start make the run's own checks read (pulled and pushed) posts
            TwitterWorkload.Options o = new TwitterWorkload.Options(150, 8_000, 0.7, 3, false, 20_000,
                    TwitterWorkload.Timelines.CELEBRITY, 90, 1, null);
            TwitterWorkload.Result r = new TwitterWorkload(o).run(true, true, "http://127.0.0.1:" + s.httpPort());
            long expected = TwitterReference.reference(150, 8_000, 0.7, 3, 20_000);
            long celebrities = r.json().path("ncelebrities").asLong();
            assertTrue(celebrities > 0 && celebrities < 150, "some posters, not all, are celebrities: " + celebrities);
            assertTrue(r.json().path("nbackposts").asLong() > 0, "populate posts written: " + r.json());
            assertTrue(expected > 1000, "the run reads a sizable number of posts: " + expected);
            assertEquals(expected, r.postsRead());
        }
    }

    private static TwitterWorkload.Options options(boolean fetch) {
        return new TwitterWorkload.Options(200, 110_000, 0.7, 7, fetch, 0, TwitterWorkload.Timelines.JOIN, 0, 1, null);
    }
}
