package io.pequod.apps.workload;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.Pipeline;
import redis.clients.jedis.Response;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;

/**
 * Client-managed timelines, the classic approach Pequod is compared with: the client writes each
 * post into every follower's timeline itself. Into Pequod's base table {@code t} (no joins), or into
 * a real Redis (one sorted set per user, scored by time, pipelined). Writes are buffered and sent
 * in batches; checks are batched too and sent after every write before them.
 */
interface PushTimelines extends AutoCloseable {
    /** Buffers a timeline entry. */
    void add(int user, long time, int poster);

    /** Buffers a count of a user's timeline over [from, to). */
    void count(int user, long from, long to);

    /** Sends everything buffered, in order, and waits. @return the sum of the counts sent */
    long flush() throws IOException, InterruptedException;

    /** @return a short description for the JSON output */
    String describe();

    /** Pequod's base table t through the HTTP API. */
    final class Pequod implements PushTimelines {
        private static final ObjectMapper JSON = new ObjectMapper();
        private final String server;
        private final HttpClient http = HttpClient.newHttpClient();
        private final List<String> writes = new ArrayList<>();
        private final ArrayNode ranges = JSON.createArrayNode();

        Pequod(String server) {
            this.server = server;
        }

        @Override
        public void add(int user, long time, int poster) {
            writes.add(JSON.createObjectNode().put("key", String.format("t|%08d|%010d|%08d", user, time, poster))
                    .put("value", "tweet").toString());
        }

        @Override
        public void count(int user, long from, long to) {
            ranges.addObject().put("first", TwitterModel.t(user, from)).put("last", TwitterModel.t(user, to));
        }

        @Override
        public long flush() throws IOException, InterruptedException {
            if (!writes.isEmpty()) {
                post("/v1/batch", String.join("\n", writes));
                writes.clear();
                post("/v1/settle?timeout_ms=60000", null); // the counts below must see these writes
            }
            long n = 0;
            if (!ranges.isEmpty()) {
                for (JsonNode c : JSON.readTree(post("/v1/counts", ranges.toString())).path("counts")) {
                    n += c.asLong();
                }
                ranges.removeAll();
            }
            return n;
        }

        private String post(String path, String body) throws IOException, InterruptedException {
            HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(server + path));
            b = body == null ? b.GET() : b.POST(HttpRequest.BodyPublishers.ofString(body));
            HttpResponse<String> r = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
            if (r.statusCode() != 200) {
                throw new IllegalStateException(path + " failed: HTTP " + r.statusCode() + " " + r.body());
            }
            return r.body();
        }

        @Override
        public String describe() {
            return "pequod push (client-managed fan-out into base table t)";
        }

        @Override
        public void close() {
        }
    }

    /** A real Redis: ZADD t:<user> time poster:time, ZCOUNT t:<user> from (to, pipelined. */
    final class Redis implements PushTimelines {
        private final Jedis jedis;
        private final String address;
        private Pipeline pipeline;
        private final List<Response<Long>> counts = new ArrayList<>();

        Redis(String hostPort) {
            String[] hp = hostPort.split(":");
            this.address = hostPort;
            this.jedis = new Jedis(hp[0], Integer.parseInt(hp[1]));
            jedis.flushDB();
            this.pipeline = jedis.pipelined();
        }

        @Override
        public void add(int user, long time, int poster) {
            pipeline.zadd("t:" + user, time, poster + ":" + time);
        }

        @Override
        public void count(int user, long from, long to) {
            counts.add(pipeline.zcount("t:" + user, Long.toString(from), "(" + to));
        }

        @Override
        public long flush() {
            pipeline.sync();
            long n = 0;
            for (Response<Long> r : counts) {
                n += r.get();
            }
            counts.clear();
            return n;
        }

        @Override
        public String describe() {
            return "redis " + address + " (client-managed fan-out into sorted sets, pipelined)";
        }

        @Override
        public void close() {
            pipeline.close();
            jedis.close();
        }
    }
}
