package io.pequod.apps.workload;

import com.fasterxml.jackson.core.io.JsonStringEncoder;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.pequod.server.PequodServer;
import io.pequod.server.metrics.ServerStats;
import io.pequod.server.query.QueryService;
import io.pequod.server.query.ReadNote;
import io.pequod.server.query.ScanResult;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * How the Twitter workload talks to Pequod: over the HTTP API as a remote client would
 * ({@link Http}), or by direct calls into an embedded server's query service ({@link InProcess},
 * {@code --in-process}). Writes and counts are asynchronous so that a client can build its next
 * batch while the last one is served; every other call blocks.
 */
interface TwitterApi {
    /**
     * @param keyValues keys and values, written in order
     * @return completed once every write is acknowledged
     */
    CompletableFuture<Void> write(List<String[]> keyValues);

    /** Waits until the views reflect every acknowledged write. @throws Exception on failure */
    void settle() throws Exception;

    /**
     * @param ranges [first, last) pairs
     * @return completed with the number of keys in each
     */
    CompletableFuture<long[]> count(List<String[]> ranges);

    /**
     * @param first inclusive start
     * @param last  exclusive end
     * @return the number of entries a full scan returned (reading every page)
     * @throws Exception on failure
     */
    long fetch(String first, String last) throws Exception;

    /**
     * @param sizes whether to count each table's keys (slow)
     * @return every instance's {@code /v1/stats}, with latency histograms ({@code {"instances": [...]}})
     * @throws Exception on failure
     */
    JsonNode stats(boolean sizes) throws Exception;

    /**
     * @param key a key
     * @return its value, if present and readable (empty while its table is not served yet)
     * @throws Exception on failure
     */
    Optional<String> get(String key) throws Exception;

    /**
     * Installs joins into the server (skipping those it has already).
     *
     * @param name the spec's name, for error positions
     * @param text the spec text
     * @return the number of joins added
     * @throws Exception if the server refuses them or fails
     */
    int installJoins(String name, String text) throws Exception;

    /** @return how requests travel, for the result */
    String describe();

    /** Over the HTTP API: {@code POST /v1/batch}, {@code POST /v1/counts}, {@code GET /v1/scan}, {@code GET /v1/settle}. */
    final class Http implements TwitterApi {
        private static final JsonStringEncoder QUOTE = JsonStringEncoder.getInstance();
        private final String server;
        private final WorkloadHttp web;

        Http(String server) {
            this.server = server;
            this.web = new WorkloadHttp(server);
        }

        @Override
        public CompletableFuture<Void> write(List<String[]> keyValues) {
            StringBuilder body = new StringBuilder(keyValues.size() * 48);
            for (String[] kv : keyValues) {
                body.append("{\"key\":\"").append(QUOTE.quoteAsString(kv[0])).append("\",\"value\":\"")
                        .append(QUOTE.quoteAsString(kv[1])).append("\"}\n");
            }
            return web.client().sendAsync(web.request("POST", "/v1/batch", body.toString()), HttpResponse.BodyHandlers.ofString())
                    .thenAccept(r -> {
                        if (r.statusCode() != 200) {
                            throw new IllegalStateException("batch write failed: " + r.statusCode() + " " + r.body());
                        }
                    });
        }

        @Override
        public void settle() throws Exception {
            web.settle(300_000);
        }

        @Override
        public CompletableFuture<long[]> count(List<String[]> ranges) {
            StringBuilder body = new StringBuilder(ranges.size() * 64).append('[');
            for (String[] r : ranges) {
                if (body.length() > 1) {
                    body.append(',');
                }
                body.append("{\"first\":\"").append(QUOTE.quoteAsString(r[0])).append("\",\"last\":\"")
                        .append(QUOTE.quoteAsString(r[1])).append("\"}");
            }
            return web.client().sendAsync(web.request("POST", "/v1/counts", body.append(']').toString()),
                    HttpResponse.BodyHandlers.ofString()).thenApply(resp -> {
                        if (resp.statusCode() != 200) {
                            throw new IllegalStateException("counts failed: " + resp.statusCode() + " " + resp.body());
                        }
                        try {
                            JsonNode counts = WorkloadHttp.JSON.readTree(resp.body()).path("counts");
                            long[] out = new long[ranges.size()];
                            for (int i = 0; i < out.length; i++) {
                                out[i] = counts.path(i).asLong();
                            }
                            return out;
                        } catch (IOException e) {
                            throw new UncheckedIOException("counts answered with bad JSON", e);
                        }
                    });
        }

        @Override
        public long fetch(String first, String last) throws Exception {
            long n = 0;
            String from = first;
            while (true) {
                HttpResponse<String> r = web.send("GET", "/v1/scan?first=" + WorkloadHttp.enc(from) + "&last=" + WorkloadHttp.enc(last)
                        + "&limit=10000", null);
                if (r.statusCode() != 200) {
                    throw new IllegalStateException("scan failed: " + r.statusCode() + " " + r.body());
                }
                JsonNode page = WorkloadHttp.JSON.readTree(r.body());
                JsonNode entries = page.path("entries");
                n += entries.size();
                if (!page.path("more").asBoolean() || entries.isEmpty()) {
                    return n;
                }
                from = entries.get(entries.size() - 1).path("key").asText() + "\0";
            }
        }

        @Override
        public JsonNode stats(boolean sizes) throws Exception {
            return WorkloadHttp.JSON.readTree(web.send("GET", "/v1/stats?all=true&histograms=true&sizes=" + sizes, null).body());
        }

        @Override
        public Optional<String> get(String key) throws Exception {
            HttpResponse<String> r = web.send("GET", "/v1/keys/" + WorkloadHttp.enc(key), null);
            if (r.statusCode() != 200) {
                return Optional.empty(); // absent (404), or its table not served yet (503)
            }
            return Optional.of(WorkloadHttp.JSON.readTree(r.body()).path("value").asText());
        }

        @Override
        public int installJoins(String name, String text) throws Exception {
            HttpResponse<String> r = web.send("POST", "/v1/joins?name=" + WorkloadHttp.enc(name), text);
            JsonNode n = WorkloadHttp.JSON.readTree(r.body());
            if (r.statusCode() != 200) {
                throw new IllegalStateException("the server did not install the joins of " + name + ": "
                        + n.path("detail").asText(r.body()));
            }
            return n.path("added").size();
        }

        @Override
        public String describe() {
            return "http " + server;
        }
    }

    /** Direct calls into an embedded server's {@link QueryService} (no network, no JSON). */
    final class InProcess implements TwitterApi {
        private final PequodServer server;
        private final QueryService service;

        InProcess(PequodServer server) {
            this.server = server;
            this.service = server.service();
        }

        @Override
        public CompletableFuture<Void> write(List<String[]> keyValues) {
            List<byte[][]> writes = new ArrayList<>(keyValues.size());
            for (String[] kv : keyValues) {
                writes.add(new byte[][] {kv[0].getBytes(StandardCharsets.UTF_8), kv[1].getBytes(StandardCharsets.UTF_8)});
            }
            return service.writeAll(writes).thenApply(last -> null);
        }

        @Override
        public void settle() throws Exception {
            if (!server.engine().awaitSettled(Duration.ofMinutes(5))) {
                throw new IllegalStateException("the views did not catch up with the writes in 5 minutes");
            }
        }

        @Override
        public CompletableFuture<long[]> count(List<String[]> ranges) {
            return CompletableFuture.supplyAsync(() -> {
                long[] out = new long[ranges.size()];
                service.prefetch(ranges.stream().map(r -> new byte[][] {r[0].getBytes(StandardCharsets.UTF_8),
                        r[1].getBytes(StandardCharsets.UTF_8)}).toList());
                for (int i = 0; i < out.length; i++) {
                    out[i] = service.count(ranges.get(i)[0].getBytes(StandardCharsets.UTF_8),
                            ranges.get(i)[1].getBytes(StandardCharsets.UTF_8), null, false, new ReadNote());
                }
                return out;
            });
        }

        @Override
        public long fetch(String first, String last) {
            long n = 0;
            byte[] from = first.getBytes(StandardCharsets.UTF_8);
            byte[] to = last.getBytes(StandardCharsets.UTF_8);
            while (true) {
                ScanResult r = service.scan(from, to, 10_000, null, false, new ReadNote());
                n += r.entries().size();
                if (!r.more() || r.entries().isEmpty()) {
                    return n;
                }
                byte[] k = r.entries().get(r.entries().size() - 1).key();
                from = Arrays.copyOf(k, k.length + 1);
            }
        }

        @Override
        public JsonNode stats(boolean sizes) {
            ObjectNode all = WorkloadHttp.JSON.createObjectNode();
            all.putArray("instances").add(ServerStats.json(server.engine(), sizes ? service : null, true).put("instance", "in-process"));
            return all;
        }

        @Override
        public Optional<String> get(String key) {
            try {
                return service.get(key.getBytes(StandardCharsets.UTF_8), null, false, new ReadNote()).map(v -> new String(v, StandardCharsets.UTF_8));
            } catch (RuntimeException notServedYet) {
                return Optional.empty();
            }
        }

        @Override
        public int installJoins(String name, String text) {
            return server.engine().install(name, text).added().size();
        }

        @Override
        public String describe() {
            return "in-process (direct calls, no network)";
        }
    }
}
