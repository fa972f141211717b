package io.pequod.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.pequod.embedded.EmbeddedRuntime;
import io.pequod.embedded.Files2;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.DefaultJedisClientConfig;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.exceptions.JedisDataException;

import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import java.io.BufferedReader;
import java.io.File;
import java.io.InputStreamReader;
import java.io.OutputStream;
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
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Two instances as on a shared network: every port serves TLS only (a certificate for 127.0.0.1 and
 * localhost from a CA the test makes), and they share a secret ({@code --auth-token}): clients must
 * give it, and the instances call each other over https, checking each other's certificate, with it.
 * Checked as a user would: Java's HttpClient, curl, redis-cli, Jedis and a TLS socket for memento.
 */
class SecureClusterIT {
    private static final String SECRET = "s3cret";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static TestCerts certs;
    private static HttpClient https;
    private static EmbeddedRuntime runtime;
    private static PequodServer a;
    private static PequodServer b;
    private static Path dirA;
    private static Path dirB;

    @BeforeAll
    static void start() throws Exception {
        certs = new TestCerts();
        TestCerts.Issued cert = certs.localhost("pequod");
        https = HttpClient.newBuilder().sslContext(certs.context(null)).build();
        runtime = EmbeddedRuntime.start(null);
        dirA = Files.createTempDirectory("pequod-secure-a-");
        dirB = Files.createTempDirectory("pequod-secure-b-");
        a = server(dirA, cert).respPort(0).mementoPort(0).build().start();
        b = server(dirB, cert).respPort(-1).build().start();
        assertTrue(a.awaitRunning(Duration.ofMinutes(2)) && b.awaitRunning(Duration.ofMinutes(2)));
    }

    private static PequodServer.Builder server(Path dir, TestCerts.Issued cert) {
        return PequodServer.builder().bootstrapServers(runtime.bootstrapServers()).schemaRegistryUrl(runtime.schemaRegistryUrl())
                .namespace("auth").dataDir(dir).httpPort(0).partitions(4).tables(Set.of("w")).authToken(SECRET)
                .tls(cert.certFile(), cert.keyFile()).config(Map.of(PequodConfig.TLS_TRUST, certs.ca.toString()));
    }

    @AfterAll
    static void stop() {
        a.close();
        b.close();
        runtime.close();
        Files2.deleteRecursively(dirA);
        Files2.deleteRecursively(dirB);
        certs.close();
    }

    private static HttpResponse<String> http(String method, String path, String body, String token) throws Exception {
        HttpRequest.Builder r = HttpRequest.newBuilder(URI.create("https://127.0.0.1:" + a.httpPort() + path))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        if (token != null) {
            r.header("Authorization", "Bearer " + token);
        }
        return https.send(r.build(), HttpResponse.BodyHandlers.ofString());
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
        // that one, over https (checking its certificate), with the secret.
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
        assertTrue(asked, "the other instance was asked (over TLS, and let in)");
    }

    @Test
    void shouldKeepTheConsoleBehindTheSecretAndLetBrowsersSendItAsBasicAuthentication() throws Exception {
        HttpResponse<String> refused = http("GET", "/ui/", null, null);
        assertEquals(401, refused.statusCode());
        assertTrue(refused.headers().firstValue("WWW-Authenticate").orElse("").startsWith("Basic realm=\"pequod\""),
                "a browser is asked for the secret: " + refused.headers().map());
        String basic = java.util.Base64.getEncoder().encodeToString(("operator:" + SECRET).getBytes(StandardCharsets.UTF_8));
        String wrong = java.util.Base64.getEncoder().encodeToString("operator:nope".getBytes(StandardCharsets.UTF_8));
        for (String[] c : new String[][] {{"Basic " + basic, "200"}, {"Basic " + wrong, "401"}, {"Bearer " + SECRET, "200"}}) {
            HttpResponse<String> r = https.send(HttpRequest.newBuilder(URI.create("https://127.0.0.1:" + a.httpPort() + "/ui/"))
                    .header("Authorization", c[0]).build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(Integer.parseInt(c[1]), r.statusCode(), c[0]);
        }
        HttpResponse<String> page = https.send(HttpRequest.newBuilder(URI.create("https://127.0.0.1:" + a.httpPort() + "/ui/app.js"))
                .header("Authorization", "Basic " + basic).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals("text/javascript; charset=utf-8", page.headers().firstValue("Content-Type").orElse(""));
        assertEquals("DENY", page.headers().firstValue("X-Frame-Options").orElse(""));
        assertTrue(page.body().contains("/v1/instances"), "the console reads the API");
        // and the operators' endpoints it reads see both instances
        // (DOWN, not unreachable, while one rebalances: its /health answers 503 with its states)
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        JsonNode instances;
        boolean allUp;
        do {
            instances = JSON.readTree(http("GET", "/v1/instances", null, SECRET).body());
            assertEquals(2, instances.path("instances").size(), instances.toString());
            instances.path("instances").forEach(i -> assertTrue(Set.of("UP", "DOWN").contains(i.path("status").asText()), i.toString()));
            allUp = true;
            for (JsonNode i : instances.path("instances")) {
                allUp &= "UP".equals(i.path("status").asText());
            }
            if (!allUp) {
                Thread.sleep(500);
            }
        } while (!allUp && System.nanoTime() < deadline);
        assertTrue(allUp, instances.toString());
        for (String sneaky : List.of("/ui/..%2Fui%2Fapp.js", "/ui/%2e%2e%2fapp.js", "/ui/.hidden.js", "/ui/x.js")) {
            assertEquals(404, http("GET", sneaky, null, SECRET).statusCode(), sneaky);
        }
        // a browser's write needs the console's header, which a page of another site cannot send
        String write = JSON.createObjectNode().put("key", "kv|csrf").put("value", "1") + "\n";
        HttpResponse<String> forged = https.send(HttpRequest.newBuilder(URI.create("https://127.0.0.1:" + a.httpPort() + "/v1/batch"))
                .header("Authorization", "Basic " + basic).POST(HttpRequest.BodyPublishers.ofString(write)).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(401, forged.statusCode(), forged.body());
        assertTrue(forged.body().contains("X-Pequod-Console"), forged.body());
        HttpResponse<String> console = https.send(HttpRequest.newBuilder(URI.create("https://127.0.0.1:" + a.httpPort() + "/v1/batch"))
                .header("Authorization", "Basic " + basic).header("X-Pequod-Console", "1")
                .POST(HttpRequest.BodyPublishers.ofString(write)).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, console.statusCode(), console.body());
        assertEquals(400, http("GET", "/v1/dead-letters?limit=0", null, SECRET).statusCode());
    }

    @Test
    void shouldAskRedisClientsToAuthenticate() throws Exception {
        try (Jedis j = new Jedis(new HostAndPort("127.0.0.1", a.respPort()), DefaultJedisClientConfig.builder().ssl(true)
                .sslSocketFactory(certs.context(null).getSocketFactory()).build())) {
            JedisDataException noAuth = assertThrows(JedisDataException.class, () -> j.get("kv|greeting"));
            assertTrue(noAuth.getMessage().startsWith("NOAUTH"), noAuth.getMessage());
            JedisDataException wrong = assertThrows(JedisDataException.class, () -> j.auth("nope"));
            assertTrue(wrong.getMessage().startsWith("WRONGPASS"), wrong.getMessage());
            assertEquals("OK", j.auth(SECRET));
            assertEquals("OK", j.set("greeting", "hi"));
            assertEquals("hi", j.get("greeting"));
        }
    }

    /** @return the exit code and output (stdout and stderr) of a command, which must end within 30 s */
    private static Map.Entry<Integer, String> run(String... command) throws Exception {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                .start();
        byte[] out = p.getInputStream().readAllBytes();
        assertTrue(p.waitFor(30, TimeUnit.SECONDS), String.join(" ", command) + " did not end");
        return Map.entry(p.exitValue(), new String(out, StandardCharsets.UTF_8).trim());
    }

    @Test
    void shouldServeHttpsToCurlTrustingTheCa() throws Exception {
        String ca = certs.ca.toString();
        for (String host : new String[] {"127.0.0.1", "localhost"}) {
            Map.Entry<Integer, String> ok = run("curl", "-sS", "--max-time", "10", "--cacert", ca, "https://" + host + ":" + a.httpPort() + "/health");
            assertEquals(0, ok.getKey(), ok.getValue());
            assertEquals("UP", JSON.readTree(ok.getValue()).path("status").asText(), ok.getValue());
        }
        Map.Entry<Integer, String> unverified = run("curl", "-sS", "--max-time", "10", "https://127.0.0.1:" + a.httpPort() + "/health");
        assertEquals(60, unverified.getKey(), "curl cannot verify the certificate without --cacert: " + unverified.getValue());
        Map.Entry<Integer, String> plain = run("curl", "-sS", "--max-time", "10", "http://127.0.0.1:" + a.httpPort() + "/health");
        assertNotEquals(0, plain.getKey(), "plain http is not served on the TLS port: " + plain.getValue());
        assertFalse(plain.getValue().contains("UP"), plain.getValue());
        // with the secret, a key through curl
        Map.Entry<Integer, String> put = run("curl", "-sS", "--max-time", "10", "--cacert", ca, "-X", "PUT", "-H", "Authorization: Bearer " + SECRET,
                "--data-binary", "over tls", "https://localhost:" + b.httpPort() + "/v1/keys/" + enc("kv|curl"));
        assertEquals(0, put.getKey(), put.getValue());
        Map.Entry<Integer, String> got = run("curl", "-sS", "--max-time", "10", "--cacert", ca, "-H", "Authorization: Bearer " + SECRET,
                "https://127.0.0.1:" + a.httpPort() + "/v1/keys/" + enc("kv|curl") + "?after=" + enc(JSON.readTree(put.getValue()).path("token").asText()));
        assertEquals(0, got.getKey(), got.getValue());
        assertTrue(got.getValue().contains("over tls"), got.getValue());
    }

    @Test
    void shouldServeRedisCliWithTls() throws Exception {
        String port = Integer.toString(a.respPort());
        String ca = certs.ca.toString();
        Map.Entry<Integer, String> set = run("redis-cli", "--tls", "--cacert", ca, "-h", "127.0.0.1", "-p", port, "--pass", SECRET,
                "--no-auth-warning", "SET", "cli", "over tls");
        assertEquals(Map.entry(0, "OK"), set);
        assertEquals(Map.entry(0, "over tls"), run("redis-cli", "--tls", "--cacert", ca, "-h", "127.0.0.1", "-p", port, "--pass", SECRET,
                "--no-auth-warning", "GET", "cli"));
        Map.Entry<Integer, String> plain = run("redis-cli", "-h", "127.0.0.1", "-p", port, "PING");
        assertFalse(plain.getValue().contains("PONG") || plain.getValue().contains("NOAUTH"), "no plain RESP on the TLS port: " + plain);
        Map.Entry<Integer, String> untrusted = run("redis-cli", "--tls", "-h", "127.0.0.1", "-p", port, "PING");
        assertFalse(untrusted.getValue().contains("PONG") || untrusted.getValue().contains("NOAUTH"),
                "redis-cli does not trust the certificate without --cacert: " + untrusted);
    }

    @Test
    void shouldSpeakMementoOverTls() throws Exception {
        try (SSLSocket s = (SSLSocket) certs.context(null).getSocketFactory().createSocket("127.0.0.1", a.mementoPort())) {
            s.setSoTimeout(30_000);
            SSLParameters p = s.getSSLParameters();
            p.setEndpointIdentificationAlgorithm("HTTPS");
            s.setSSLParameters(p);
            OutputStream out = s.getOutputStream();
            BufferedReader in = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.UTF_8));
            out.write("SET mk over tls\r\nGET mk\r\n".getBytes(StandardCharsets.UTF_8));
            out.flush();
            assertEquals("OK", in.readLine());
            assertEquals("over tls", in.readLine());
        }
    }
}
