package io.pequod.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.pequod.embedded.EmbeddedRuntime;
import io.pequod.views.spec.JoinSpec;
import io.pequod.views.spec.JoinSpecParser;
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
import java.util.Map;
import java.util.TreeMap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Two instances of one namespace share the partitions and answer every key and range alike. */
@Timeout(600)
class MultiInstanceIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    static JsonNode get(int port, String pathAndQuery, int expectStatus) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
        HttpResponse<String> r;
        do {
            r = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + pathAndQuery)).build(),
                    HttpResponse.BodyHandlers.ofString());
            if (r.statusCode() == expectStatus && !JSON.readTree(r.body()).path("stale").asBoolean(false)) {
                return JSON.readTree(r.body());
            }
            Thread.sleep(200); // partitions moving: 503, or a copy's answer marked stale, until the rebalance settles
        } while (System.nanoTime() < deadline);
        throw new AssertionError("GET " + pathAndQuery + " on " + port + " answered " + r.statusCode() + ": " + r.body());
    }

    static String enc(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }

    @Test
    void shouldAnswerIdenticallyFromBothInstancesForKeysEitherOwns(@TempDir Path a, @TempDir Path b) throws Exception {
        String spec = "t|<user>|<time>|<poster> = copy p|<poster>|<time> using s|<user>|<poster> where user:8, time:10, poster:8";
        try (EmbeddedRuntime rt = EmbeddedRuntime.start(null);
             PequodServer one = server(rt, spec, a).start();
             PequodServer two = server(rt, spec, b).start()) {
            assertTrue(one.awaitRunning(Duration.ofMinutes(2)));
            assertTrue(two.awaitRunning(Duration.ofMinutes(2)));
            TreeMap<String, String> written = new TreeMap<>();
            for (int u = 0; u < 16; u++) {
                String k = String.format("s|%08d|%08d", u, 99);
                one.service().put(k.getBytes(StandardCharsets.UTF_8), "1".getBytes());
                written.put(k, "1");
            }
            for (int i = 0; i < 3; i++) {
                two.service().put(String.format("p|%08d|%010d", 99, i).getBytes(StandardCharsets.UTF_8), ("post" + i).getBytes());
            }
            int owned = 0;
            for (Map.Entry<String, String> e : written.entrySet()) {
                String path = "/v1/keys/" + enc(e.getKey());
                JsonNode fromOne = get(one.httpPort(), path, 200);
                JsonNode fromTwo = get(two.httpPort(), path, 200);
                assertEquals(e.getValue(), fromOne.path("value").asText());
                assertEquals(fromOne, fromTwo, e.getKey());
                owned += one.engine().catalog().metadataFor("s", e.getKey().getBytes(StandardCharsets.UTF_8)).activeHost().port()
                        == one.httpPort() ? 1 : 0;
            }
            assertTrue(owned > 0 && owned < written.size(), "both instances own some partitions: one owns " + owned);
            String scan = "/v1/scan?first=" + enc("t|") + "&last=" + enc("t}") + "&limit=1000";
            JsonNode s1;
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            do {
                s1 = get(one.httpPort(), scan, 200);
            } while (s1.path("entries").size() < 48 && System.nanoTime() < deadline && sleep());
            assertEquals(48, s1.path("entries").size(), "16 followers x 3 posts, merged from both instances");
            assertEquals(s1, get(two.httpPort(), scan, 200));
            assertEquals(48, get(two.httpPort(), "/v1/count?first=" + enc("t|") + "&last=" + enc("t}"), 200).path("count").asLong());
        }
    }

    @Test
    void shouldInstallJoinsOnEveryInstanceWhenOneIsAsked(@TempDir Path a, @TempDir Path b) throws Exception {
        String spec = "t|<user>|<time>|<poster> = copy p|<poster>|<time> using s|<user>|<poster> where user:8, time:10, poster:8";
        try (EmbeddedRuntime rt = EmbeddedRuntime.start(null);
             PequodServer one = server(rt, null, a, "multi2").start();
             PequodServer two = server(rt, null, b, "multi2").start()) {
            assertTrue(one.awaitRunning(Duration.ofMinutes(2)));
            assertTrue(two.awaitRunning(Duration.ofMinutes(2)));
            HttpResponse<String> installed = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + one.httpPort()
                    + "/v1/joins?name=timeline.pq")).POST(HttpRequest.BodyPublishers.ofString(spec)).build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(200, installed.statusCode(), installed.body());
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (two.engine().spec().joins().isEmpty() && System.nanoTime() < deadline) {
                Thread.sleep(200); // the other instance looks every second here
            }
            assertEquals(1, two.engine().spec().joins().size(), "the other instance installed the recorded joins");
            deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (!one.engine().state().keySet().equals(two.engine().state().keySet()) && System.nanoTime() < deadline) {
                Thread.sleep(100); // its joins are in force a moment before its view application is started
            }
            assertTrue(one.awaitRunning(Duration.ofMinutes(2)) && two.awaitRunning(Duration.ofMinutes(2)));
            assertEquals(one.engine().state().keySet(), two.engine().state().keySet(), "the same applications, sharing the partitions");
            for (int u = 0; u < 16; u++) {
                (u % 2 == 0 ? one : two).service().put(String.format("s|%08d|%08d", u, 99).getBytes(StandardCharsets.UTF_8), "1".getBytes());
            }
            for (int i = 0; i < 3; i++) {
                two.service().put(String.format("p|%08d|%010d", 99, i).getBytes(StandardCharsets.UTF_8), ("post" + i).getBytes());
            }
            // settling on one instance waits for both: the counts are right at once, on either
            assertTrue(get(one.httpPort(), "/v1/settle?timeout_ms=60000", 200).path("settled").asBoolean());
            String count = "/v1/count?first=" + enc("t|") + "&last=" + enc("t}");
            assertEquals(48, get(two.httpPort(), count, 200).path("count").asLong(), "16 followers x 3 posts");
            assertEquals(48, get(one.httpPort(), count, 200).path("count").asLong());
            JsonNode stats = get(two.httpPort(), "/v1/stats?all=true&sizes=true", 200);
            assertEquals(2, stats.path("instances").size(), stats.toString());
            long stored = 0;
            for (JsonNode i : stats.path("instances")) {
                stored += i.path("tables").path("t").path("store_size").asLong();
            }
            assertEquals(48, stored, "each instance counts the keys it holds: " + stats);
            HttpResponse<String> rebuilt = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + one.httpPort()
                    + "/v1/views/t/rebuild")).POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(200, rebuilt.statusCode(), rebuilt.body());
            String generation = JSON.readTree(rebuilt.body()).path("application").asText();
            deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (!two.engine().state().containsKey(generation) && System.nanoTime() < deadline) {
                Thread.sleep(200);
            }
            assertTrue(two.engine().state().containsKey(generation), "the other instance runs the rebuilt generation: "
                    + two.engine().state());
            assertTrue(one.awaitRunning(Duration.ofMinutes(2)) && two.awaitRunning(Duration.ofMinutes(2)));
            assertEquals(one.engine().state().keySet(), two.engine().state().keySet());
            assertTrue(get(two.httpPort(), "/v1/settle?timeout_ms=60000", 200).path("settled").asBoolean());
            assertEquals(48, get(one.httpPort(), count, 200).path("count").asLong(), "rebuilt from the topics");
            HttpResponse<String> viewWrite = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + two.httpPort()
                    + "/v1/keys/" + enc("t|00000001|0000000001|00000002"))).PUT(HttpRequest.BodyPublishers.ofString("x")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(400, viewWrite.statusCode(), "a view on the other instance too: " + viewWrite.body());
        }
    }

    private static boolean sleep() throws InterruptedException {
        Thread.sleep(200);
        return true;
    }

    private static PequodServer server(EmbeddedRuntime rt, String spec, Path dir) {
        return server(rt, spec, dir, "multi");
    }

    private static PequodServer server(EmbeddedRuntime rt, String spec, Path dir, String namespace) {
        return PequodServer.builder().bootstrapServers(rt.bootstrapServers()).schemaRegistryUrl(rt.schemaRegistryUrl())
                .namespace(namespace).spec(spec == null ? JoinSpec.empty() : JoinSpecParser.parse("spec.pq", spec))
                .dataDir(dir).httpPort(0).respPort(-1).partitions(4)
                // installs by others picked up within 1 s (10 s by default): the other instance
                // looks while an install is under way, which once made it adopt the new tables alone
                .config(java.util.Map.of(PequodConfig.TABLE_REFRESH_MS, 1000)).build();
    }
}
