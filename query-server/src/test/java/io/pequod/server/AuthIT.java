package io.pequod.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.pequod.embedded.EmbeddedRuntime;
import io.pequod.embedded.Files2;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.exceptions.JedisDataException;

import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Two instances sharing a secret ({@code --auth-token}): clients must give it, and the instances give it to each other. */
class AuthIT {
    private static final String SECRET = "s3cret";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private static EmbeddedRuntime runtime;
    private static PequodServer a;
    private static PequodServer b;
    private static Path dirA;
    private static Path dirB;

    @BeforeAll
    static void start() throws Exception {
        runtime = EmbeddedRuntime.start(null);
        dirA = Files.createTempDirectory("pequod-auth-a-");
        dirB = Files.createTempDirectory("pequod-auth-b-");
        a = server(dirA).respPort(0).build().start();
        b = server(dirB).respPort(-1).build().start();
        assertTrue(a.awaitRunning(Duration.ofMinutes(2)) && b.awaitRunning(Duration.ofMinutes(2)));
    }

    private static PequodServer.Builder server(Path dir) {
        return PequodServer.builder().bootstrapServers(runtime.bootstrapServers()).schemaRegistryUrl(runtime.schemaRegistryUrl())
                .namespace("auth").dataDir(dir).httpPort(0).partitions(4).tables(Set.of("w")).authToken(SECRET);
    }

    @AfterAll
    static void stop() {
        a.close();
        b.close();
        runtime.close();
        Files2.deleteRecursively(dirA);
        Files2.deleteRecursively(dirB);
    }

    private static HttpResponse<String> http(String method, String path, String body, String token) throws Exception {
        HttpRequest.Builder r = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + a.httpPort() + path))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        if (token != null) {
            r.header("Authorization", "Bearer " + token);
        }
        return HTTP.send(r.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static String enc(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }

    @Test
    void shouldAskHttpClientsForTheSecretAndPassItToTheOtherInstance() throws Exception {
        for (String token : new String[] {null, "wrong"}) {
            HttpResponse<String> refused = http("GET", "/v1/keys/" + enc("kv|x"), null, token);
            assertEquals(401, refused.statusCode(), refused.body());
            JsonNode j = JSON.readTree(refused.body());
            assertEquals("unauthorized", j.path("error").asText());
            assertTrue(j.path("detail").asText().contains("Authorization: Bearer"), refused.body());
        }
        assertEquals(200, http("GET", "/health", null, null).statusCode(), "health needs no secret");

        // Keys of every partition, some of them on the other instance: a scan through this one asks
        // that one, with the secret.
        StringBuilder batch = new StringBuilder();
        for (int i = 0; i < 40; i++) {
            batch.append(JSON.createObjectNode().put("key", String.format("w|%08d|x", i)).put("value", "v" + i)).append('\n');
        }
        assertEquals(200, http("POST", "/v1/batch", batch.toString(), SECRET).statusCode());
        assertEquals(200, http("GET", "/v1/settle?timeout_ms=60000", null, SECRET).statusCode());
        // (until the two instances have shared the partitions out)
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        boolean asked;
        do {
            HttpResponse<String> scan = http("GET", "/v1/scan?first=" + enc("w|") + "&last=" + enc("w}") + "&limit=1000", null, SECRET);
            assertEquals(200, scan.statusCode(), scan.body());
            assertEquals(40, JSON.readTree(scan.body()).path("entries").size(), scan.body());
            List<double[]> internal = b.metrics().histogram("http", "v1_internal_scan");
            asked = !internal.isEmpty() && internal.get(internal.size() - 1)[1] > 0;
            if (!asked) {
                Thread.sleep(200);
            }
        } while (!asked && System.nanoTime() < deadline);
        assertTrue(asked, "the other instance was asked (and let in)");
    }

    @Test
    void shouldAskRedisClientsToAuthenticate() {
        try (Jedis j = new Jedis("127.0.0.1", a.respPort())) {
            JedisDataException noAuth = assertThrows(JedisDataException.class, () -> j.get("kv|greeting"));
            assertTrue(noAuth.getMessage().startsWith("NOAUTH"), noAuth.getMessage());
            JedisDataException wrong = assertThrows(JedisDataException.class, () -> j.auth("nope"));
            assertTrue(wrong.getMessage().startsWith("WRONGPASS"), wrong.getMessage());
            assertEquals("OK", j.auth(SECRET));
            assertEquals("OK", j.set("greeting", "hi"));
            assertEquals("hi", j.get("greeting"));
        }
    }
}
