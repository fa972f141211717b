package io.pequod.apps.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.pequod.embedded.Files2;
import io.pequod.embedded.Ports;
import io.pequod.server.AllInOne;
import io.pequod.server.PequodServer;
import io.pequod.views.spec.JoinSpec;
import io.pequod.views.spec.JoinSpecParser;

import java.io.IOException;
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
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * Query-server benchmarks against an all-in-one embedded server: {@code redis} runs
 * redis-benchmark against Pequod's Redis port and a real redis-server side by side; {@code scan}
 * issues HTTP scans of a 50-entry timeline at a fixed rate and reports latency percentiles.
 */
public final class ServerBenchmarks {
    private static final ObjectMapper JSON = new ObjectMapper();

    private ServerBenchmarks() {
    }

    /**
     * @param requests requests per test
     * @param clients  parallel connections
     * @return JSON with both servers' requests/s for SET and GET and the ratios
     * @throws Exception if a tool is missing or fails
     */
    public static String redis(int requests, int clients, int pipeline) throws Exception {
        for (String tool : List.of("redis-server", "redis-benchmark")) {
            if (!onPath(tool)) {
                throw new IllegalStateException(tool + " is not installed; on Debian: apt-get install redis-server redis-tools");
            }
        }
        int redisPort = Ports.free();
        Process redis = new ProcessBuilder("redis-server", "--port", Integer.toString(redisPort), "--bind", "127.0.0.1",
                "--save", "", "--appendonly", "no").redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        try (AllInOne a = AllInOne.start("benchredis", JoinSpec.empty(), Set.of())) {
            PequodServer s = a.server();
            // one unmeasured pass each first: the JVM compiles its hot paths, Redis warms its caches
            redisBenchmark(s.respPort(), requests, clients, pipeline, "pequod (warm-up)");
            redisBenchmark(redisPort, requests, clients, pipeline, "redis-server (warm-up)");
            Map<String, Double> pequod = redisBenchmark(s.respPort(), requests, clients, pipeline, "pequod");
            Map<String, Double> real = redisBenchmark(redisPort, requests, clients, pipeline, "redis-server");
            ObjectNode o = JSON.createObjectNode();
            o.put("benchmark", "redis");
            o.put("requests", requests);
            o.put("clients", clients);
            o.put("pipeline", pipeline);
            o.putPOJO("pequod_requests_per_sec", pequod);
            o.putPOJO("redis_requests_per_sec", real);
            o.put("ratio_get", round(pequod.get("GET") / real.get("GET")));
            o.put("ratio_set", round(pequod.get("SET") / real.get("SET")));
            return o.toString();
        } finally {
            redis.destroy();
            redis.waitFor(10, TimeUnit.SECONDS);
        }
    }

    private static Map<String, Double> redisBenchmark(int port, int requests, int clients, int pipeline, String who)
            throws IOException, InterruptedException {
        System.err.println("bench redis: redis-benchmark -t set,get -n " + requests + " -c " + clients + " -P " + pipeline
                + " against " + who + " ...");
        Process p = new ProcessBuilder("redis-benchmark", "-h", "127.0.0.1", "-p", Integer.toString(port), "-t", "set,get",
                "-n", Integer.toString(requests), "-c", Integer.toString(clients), "-P", Integer.toString(pipeline), "--csv")
                .redirectErrorStream(false).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(30, TimeUnit.MINUTES) || p.exitValue() != 0) {
            throw new IllegalStateException("redis-benchmark against " + who + " failed: " + out);
        }
        Map<String, Double> rps = new HashMap<>();
        for (String line : out.split("\n")) {
            String[] f = line.replace("\"", "").split(",");
            if (f.length >= 2 && (f[0].equals("SET") || f[0].equals("GET"))) {
                rps.put(f[0], Double.parseDouble(f[1]));
            }
        }
        if (!rps.containsKey("SET") || !rps.containsKey("GET")) {
            throw new IllegalStateException("unexpected redis-benchmark output: " + out);
        }
        return rps;
    }

    /**
     * @param rate      scans per second
     * @param seconds   measured seconds (after 5 s of warm-up)
     * @param instances 1, or 2: a second server in the same namespace takes half the partitions,
     *                  and each scan covers the whole timeline table, asking the other instance
     * @return JSON with latency percentiles
     * @throws Exception if Kafka fails
     */
    public static String scan(int rate, int seconds, int instances) throws Exception {
        if (instances < 1 || instances > 2) {
            throw new IllegalArgumentException("--instances must be 1 or 2, not " + instances);
        }
        JoinSpec spec = JoinSpecParser.parse("bench.pq", TwitterData.TWITTER_JOIN);
        try (AllInOne a = AllInOne.start("benchscan", spec, Set.of());
             SecondInstance second = instances == 2 ? new SecondInstance(a, spec) : null) {
            PequodServer s = a.server();
            String base = "http://127.0.0.1:" + s.httpPort();
            HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
            for (int poster = 1; poster <= 5; poster++) {
                s.service().put(TwitterData.s(1, poster).getBytes(), "1".getBytes());
                for (int i = 0; i < 10; i++) {
                    s.service().put(TwitterData.p(poster, 1_000_000_000L + poster * 100 + i).getBytes(), "tweet!".getBytes());
                }
            }
            String first = instances == 1 ? "t|00000001|" : "t|";
            String last = instances == 1 ? "t|00000001}" : "t}";
            String url = base + "/v1/scan?first=" + URLEncoder.encode(first, StandardCharsets.UTF_8) + "&last="
                    + URLEncoder.encode(last, StandardCharsets.UTF_8) + "&limit=100";
            awaitEntries(http, HttpRequest.newBuilder(URI.create(url)).build(), 50);
            List<Double> ms;
            long errors;
            List<double[]> before;
            List<double[]> after;
            try (HttpLoad load = new HttpLoad(URI.create(url))) {
                load.run(rate, 5, "warm-up");
                before = s.metrics().histogram("http", "v1_scan");
                HttpLoad.Result r = load.run(rate, seconds, "measure");
                after = s.metrics().histogram("http", "v1_scan");
                ms = r.latenciesMs();
                errors = r.errors();
            }
            List<Double> sorted = new ArrayList<>(ms);
            Collections.sort(sorted);
            ObjectNode o = JSON.createObjectNode();
            o.put("benchmark", "scan");
            o.put("entries_per_scan", 50);
            o.put("instances", instances);
            o.put("range", first + " .. " + last);
            o.put("requests_per_sec", rate);
            o.put("requests", sorted.size());
            o.put("errors", errors);
            o.put("latency_ms_p50", pct(sorted, 50));
            o.put("latency_ms_p90", pct(sorted, 90));
            o.put("latency_ms_p99", pct(sorted, 99));
            o.put("latency_ms_max", sorted.isEmpty() ? 0 : round(sorted.get(sorted.size() - 1)));
            // The server's own time per scan (from the request decoded to the response built), from
            // its histogram: what the client sees beyond it is the network, queues and scheduling.
            o.put("server_ms_p50_at_most", bucketBound(before, after, 50));
            o.put("server_ms_p99_at_most", bucketBound(before, after, 99));
            return o.toString();
        }
    }

    /** Waits (at most a minute) until a scan answers at least {@code n} entries. */
    private static void awaitEntries(HttpClient http, HttpRequest scan, int n) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (JSON.readTree(http.send(scan, HttpResponse.BodyHandlers.ofString()).body()).path("entries").size() < n) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("the timeline never reached " + n + " entries");
            }
            Thread.sleep(100);
        }
    }

    private static boolean onPath(String tool) {
        for (String dir : System.getenv().getOrDefault("PATH", "").split(":")) {
            if (Files.isExecutable(Path.of(dir, tool))) {
                return true;
            }
        }
        return false;
    }

    /** A second server in the all-in-one's namespace, on the same broker, until closed. */
    private static final class SecondInstance implements AutoCloseable {
        private final PequodServer server;
        private final Path dir;

        SecondInstance(AllInOne a, JoinSpec spec) throws Exception {
            dir = Files.createTempDirectory("pequod-benchscan-2-");
            server = PequodServer.builder().bootstrapServers(a.runtime().bootstrapServers())
                    .schemaRegistryUrl(a.runtime().schemaRegistryUrl()).namespace("benchscan").spec(spec).dataDir(dir)
                    .httpPort(0).respPort(-1).build().start();
            if (!server.awaitRunning(Duration.ofMinutes(2)) || !a.server().awaitRunning(Duration.ofMinutes(2))) {
                close();
                throw new IllegalStateException("the second instance did not start: " + server.engine().state());
            }
        }

        @Override
        public void close() {
            server.close();
            Files2.deleteRecursively(dir);
        }
    }

    /** @return the bound of the first histogram bucket holding p% of what was recorded between two snapshots */
    private static double bucketBound(List<double[]> before, List<double[]> after, double p) {
        if (after.isEmpty()) {
            return 0;
        }
        double total = after.get(after.size() - 1)[1] - (before.isEmpty() ? 0 : before.get(before.size() - 1)[1]);
        for (int i = 0; i < after.size(); i++) {
            double n = after.get(i)[1] - (before.isEmpty() ? 0 : before.get(i)[1]);
            if (n >= total * p / 100) {
                return round(after.get(i)[0]);
            }
        }
        return Double.POSITIVE_INFINITY;
    }

    private static double pct(List<Double> sorted, double p) {
        if (sorted.isEmpty()) {
            return 0;
        }
        return round(sorted.get(Math.max(0, Math.min(sorted.size() - 1, (int) Math.ceil(p / 100 * sorted.size()) - 1))));
    }

    private static double round(double d) {
        return Math.round(d * 1000) / 1000.0;
    }
}
