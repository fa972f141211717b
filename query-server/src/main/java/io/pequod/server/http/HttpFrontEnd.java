package io.pequod.server.http;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.pequod.schemas.PequodException;
import io.pequod.schemas.WritePosition;
import io.pequod.schemas.avro.Operation;
import io.pequod.server.query.Entry;
import io.pequod.server.query.QueryException;
import io.pequod.server.query.QueryService;
import io.pequod.server.query.ScanResult;
import io.pequod.server.metrics.ServerMetrics;
import io.pequod.server.internals.NettyListener;
import io.pequod.server.query.PeerClient;
import io.pequod.views.ViewEngine;
import io.pequod.views.spec.Join;
import org.apache.kafka.streams.KafkaStreams;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * The HTTP API (DESIGN.md section 5) on Netty: JSON bodies, keys URL-encoded in paths, errors as
 * {@code {"error": ..., "detail": ...}} with 4xx/5xx and never a stack trace. Request handling runs
 * on a worker group, off the event loops, since reads may wait for writes to be applied.
 */
public final class HttpFrontEnd implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(HttpFrontEnd.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    /** Largest request body: a 1 MiB value and some room. */
    public static final int MAX_BODY = 1024 * 1024 + 64 * 1024;

    private final QueryService service;
    private final ViewEngine engine;
    private final ServerMetrics metrics;
    private final String authToken;
    // Writes block a worker until the broker acknowledges them (~3 ms here): 16 workers capped
    // single-key PUTs at ~8k/s from 64 connections; 64 give ~11k/s (RESP has 64 too).
    private final NettyListener listener = new NettyListener(2, 64);

    /**
     * @param service   the query service
     * @param engine    the engine, for health and joins
     * @param metrics   metrics to record into and expose
     * @param authToken shared secret required as a Bearer token, or {@code null}
     */
    public HttpFrontEnd(QueryService service, ViewEngine engine, ServerMetrics metrics, String authToken) {
        this.service = service;
        this.engine = engine;
        this.metrics = metrics;
        this.authToken = authToken;
    }

    /**
     * @param host address to bind
     * @param port port, 0 for a free one
     * @return the bound port
     * @throws InterruptedException if interrupted while binding
     */
    public int start(String host, int port) throws InterruptedException {
        return listener.bind(host, port, pipeline -> pipeline.addLast(new HttpServerCodec(8192, 16 * 1024, 64 * 1024))
                .addLast(new HttpObjectAggregator(MAX_BODY))
                .addLast(new Handler()));
    }

    @Override
    public void close() {
        listener.close();
    }

    private final class Handler extends SimpleChannelInboundHandler<FullHttpRequest> {
        Handler() {
            super(false);
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest req) {
            // Reads that cannot block (no token to wait for, every partition on this instance) run on
            // the event loop; anything that may wait or call another instance runs on a worker.
            if (req.method().equals(HttpMethod.GET) && !req.uri().contains("after=") && service.singleInstance()
                    && (req.uri().startsWith("/v1/scan") || req.uri().startsWith("/v1/count") || req.uri().startsWith("/v1/keys/"))) {
                try {
                    // should the instance no longer be alone, a call to another one goes to a worker instead
                    PeerClient.nonBlocking(() -> respond(ctx, req));
                    req.release();
                    return;
                } catch (PeerClient.WouldBlockException e) {
                    // fall through to a worker
                }
            }
            listener.workers().next().execute(() -> handle(ctx, req));
        }

        private void handle(ChannelHandlerContext ctx, FullHttpRequest req) {
            try {
                respond(ctx, req);
            } finally {
                req.release();
            }
        }

        private void respond(ChannelHandlerContext ctx, FullHttpRequest req) {
            long t0 = System.nanoTime();
            QueryStringDecoder qs = new QueryStringDecoder(req.uri());
            String path = qs.rawPath();
            String endpoint = endpointName(path);
            FullHttpResponse res;
            boolean failed = false;
            try {
                if (!req.decoderResult().isSuccess()) {
                    throw new QueryException(400, "bad request", "malformed HTTP request: " + req.decoderResult().cause());
                }
                checkAuth(req, path);
                res = route(req, qs, path);
            } catch (PeerClient.WouldBlockException e) {
                throw e;
            } catch (QueryException e) {
                failed = true;
                res = error(e.status(), e.error(), e.getMessage());
            } catch (PequodException | IllegalArgumentException e) {
                failed = true;
                res = error(400, "bad request", e.getMessage());
            } catch (RuntimeException e) {
                failed = true;
                LOG.warn("Internal error on {} {}", req.method(), req.uri(), e);
                res = error(500, "internal error", e.toString());
            }
            metrics.record("http", endpoint, System.nanoTime() - t0, failed || res.status().code() >= 500);
            boolean keepAlive = HttpUtil.isKeepAlive(req);
            HttpUtil.setContentLength(res, res.content().readableBytes());
            if (keepAlive) {
                res.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.KEEP_ALIVE);
                ctx.writeAndFlush(res);
            } else {
                ctx.writeAndFlush(res).addListener(ChannelFutureListener.CLOSE);
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            LOG.debug("Closing HTTP connection after {}", cause.toString());
            ctx.close();
        }
    }

    private static String endpointName(String path) {
        if (path.startsWith("/v1/keys/")) {
            return "keys";
        }
        return path.length() > 1 ? path.substring(1).replace('/', '_') : "root";
    }

    private void checkAuth(FullHttpRequest req, String path) {
        if (authToken == null || path.equals("/health")) {
            return;
        }
        String h = req.headers().get(HttpHeaderNames.AUTHORIZATION);
        if (h == null || !h.equals("Bearer " + authToken)) {
            throw new QueryException(401, "unauthorized", "this server needs the header Authorization: Bearer <token> (--auth-token)");
        }
    }

    private FullHttpResponse route(FullHttpRequest req, QueryStringDecoder qs, String path) {
        HttpMethod m = req.method();
        Map<String, List<String>> p = qs.parameters();
        boolean b64 = "base64".equals(param(p, "encoding"));
        if (path.startsWith("/v1/keys/")) {
            byte[] key = decodePath(path.substring("/v1/keys/".length()));
            if (key.length == 0) {
                throw QueryException.badRequest("missing key in /v1/keys/{key}");
            }
            byte[] body = ByteBufUtil.getBytes(req.content());
            if (m.equals(HttpMethod.GET)) {
                Optional<byte[]> v = service.get(key, param(p, "after"), bool(p, "stale"));
                if (v.isEmpty()) {
                    throw new QueryException(404, "not found", "key '" + text(key) + "' is absent");
                }
                return json(200, entry(key, v.get(), b64));
            } else if (m.equals(HttpMethod.PUT)) {
                return json(200, position(service.put(key, body)));
            } else if (m.equals(HttpMethod.DELETE)) {
                return json(200, position(service.erase(key)));
            } else if (m.equals(HttpMethod.POST)) {
                Operation op = operation(param(p, "op"));
                Optional<byte[]> v = service.readModifyWrite(key, op, body);
                ObjectNode o = JSON.createObjectNode().put("key", enc(key, b64));
                o.put("value", v.map(x -> enc(x, b64)).orElse(null));
                return json(200, o);
            }
            throw new QueryException(405, "method not allowed", m + " is not allowed on /v1/keys/{key}; use GET, PUT, DELETE or POST");
        }
        if (path.startsWith("/v1/views/") && path.endsWith("/rebuild")) {
            if (!m.equals(HttpMethod.POST)) {
                throw new QueryException(405, "method not allowed", "use POST /v1/views/{view}/rebuild");
            }
            String view = new String(decodePath(path.substring("/v1/views/".length(), path.length() - "/rebuild".length())),
                    StandardCharsets.UTF_8);
            String app = engine.rebuild(view);
            return json(200, JSON.createObjectNode().put("view", view).put("application", app));
        }
        if (path.equals("/v1/joins") && m.equals(HttpMethod.POST)) {
            return install(req, param(p, "name"));
        }
        if (path.equals("/v1/batch") || path.equals("/v1/counts")) {
            if (!m.equals(HttpMethod.POST)) {
                throw new QueryException(405, "method not allowed", "use POST " + path);
            }
            return path.equals("/v1/batch") ? batch(req) : counts(req);
        }
        if (!m.equals(HttpMethod.GET) && !path.equals("/v1/internal/rmw")) {
            throw new QueryException(405, "method not allowed", m + " is not allowed on " + path + "; use GET");
        }
        switch (path) {
            case "/v1/scan": {
                ScanResult r = service.scan(required(p, "first", b64), required(p, "last", b64), intParam(p, "limit"),
                        param(p, "after"), bool(p, "stale"));
                return scanJson(r, b64);
            }
            case "/v1/count":
                return json(200, JSON.createObjectNode().put("count",
                        service.count(required(p, "first", b64), required(p, "last", b64), param(p, "after"), bool(p, "stale"))));
            case "/v1/joins":
                return json(200, joins());
            case "/v1/settle": {
                Integer ms = intParam(p, "timeout_ms");
                boolean settled;
                java.time.Duration wait = java.time.Duration.ofMillis(ms == null ? 60_000 : ms);
                try {
                    settled = "local".equals(param(p, "scope")) ? engine.awaitSettled(wait) : service.settleAll(wait);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    settled = false;
                }
                if (!settled) {
                    throw QueryException.unavailable("the views did not catch up with the writes in time");
                }
                return json(200, JSON.createObjectNode().put("settled", true));
            }
            case "/v1/stats": {
                ObjectNode local = io.pequod.server.metrics.ServerStats.json(engine, bool(p, "sizes") ? service : null, bool(p, "histograms"));
                if (!bool(p, "all")) {
                    return json(200, local);
                }
                // every instance's, this one first
                ObjectNode all = JSON.createObjectNode();
                ArrayNode instances = all.putArray("instances");
                instances.add(local.put("instance", service.self().host() + ":" + service.self().port()));
                service.askOthers("/v1/stats?sizes=" + bool(p, "sizes") + "&histograms=" + bool(p, "histograms"))
                        .forEach((h, st) -> instances.add(((ObjectNode) st).put("instance", h.host() + ":" + h.port())));
                return json(200, all);
            }
            case "/health":
                return health();
            case "/metrics":
                return text(200, metrics.scrape(), "text/plain; version=0.0.4; charset=utf-8");
            case "/v1/internal/get": {
                byte[] key = required(p, "key", true);
                Optional<byte[]> v = service.getLocal(key, param(p, "after"), bool(p, "stale"));
                if (v.isEmpty()) {
                    throw new QueryException(404, "not found", "key '" + text(key) + "' is absent");
                }
                return json(200, entry(key, v.get(), true));
            }
            case "/v1/internal/scan":
                return scanJson(service.scanLocal(param(p, "table"), required(p, "first", true), required(p, "last", true),
                        intParam(p, "limit"), partitions(p), param(p, "after"), bool(p, "stale")), true);
            case "/v1/internal/count":
                return json(200, JSON.createObjectNode().put("count", service.countLocal(param(p, "table"), required(p, "first", true),
                        required(p, "last", true), partitions(p), param(p, "after"), bool(p, "stale"))));
            case "/v1/internal/rmw": {
                byte[] key = required(p, "key", true);
                Optional<byte[]> v = service.readModifyWriteLocal(key, operation(param(p, "op")), ByteBufUtil.getBytes(req.content()));
                ObjectNode o = JSON.createObjectNode().put("key", PeerClient.b64(key));
                o.put("value", v.map(PeerClient::b64).orElse(null));
                return json(200, o);
            }
            default:
                throw new QueryException(404, "not found", "no endpoint " + path + "; see GET /v1/keys/{key}, /v1/scan, /v1/count, "
                        + "/v1/joins, /health, /metrics");
        }
    }

    /** Writes JSON lines ({"key","value"} or {"key","erase":true}) in order; answers once all are acknowledged. */
    private FullHttpResponse batch(FullHttpRequest req) {
        String body = req.content().toString(StandardCharsets.UTF_8);
        List<byte[][]> writes = new java.util.ArrayList<>();
        int lineNo = 0;
        for (String line : body.split("\n")) {
            lineNo++;
            if (line.isBlank()) {
                continue;
            }
            JsonNodeHolder n = JsonNodeHolder.parse(line, lineNo);
            writes.add(new byte[][] {n.key(), n.erase() ? null : n.value()});
        }
        java.util.Map<String, io.pequod.schemas.WritePosition> last = service.writeAll(writes);
        ObjectNode o = JSON.createObjectNode().put("written", writes.size());
        ArrayNode tokens = o.putArray("tokens");
        last.values().forEach(w -> tokens.add(w.token()));
        return json(200, o);
    }

    /** Counts several ranges: [{"first","last"}, ...] -> {"counts": [...]}. */
    private FullHttpResponse counts(FullHttpRequest req) {
        com.fasterxml.jackson.databind.JsonNode arr;
        try {
            arr = JSON.readTree(req.content().toString(StandardCharsets.UTF_8));
        } catch (java.io.IOException e) {
            throw QueryException.badRequest("body is not JSON: " + e.getMessage());
        }
        if (arr == null || !arr.isArray()) {
            throw QueryException.badRequest("body must be a JSON array of {\"first\", \"last\"}");
        }
        ObjectNode o = JSON.createObjectNode();
        ArrayNode counts = o.putArray("counts");
        for (com.fasterxml.jackson.databind.JsonNode r : arr) {
            if (!r.path("first").isTextual() || !r.path("last").isTextual()) {
                throw QueryException.badRequest("each range needs string fields first and last; got " + r);
            }
            counts.add(service.count(r.get("first").asText().getBytes(StandardCharsets.UTF_8),
                    r.get("last").asText().getBytes(StandardCharsets.UTF_8), null, false));
        }
        return json(200, o);
    }

    /** One parsed batch line. */
    private record JsonNodeHolder(byte[] key, byte[] value, boolean erase) {
        static JsonNodeHolder parse(String line, int lineNo) {
            com.fasterxml.jackson.databind.JsonNode n;
            try {
                n = JSON.readTree(line);
            } catch (java.io.IOException e) {
                throw QueryException.badRequest("line " + lineNo + ": unreadable JSON");
            }
            if (n == null || !n.path("key").isTextual()) {
                throw QueryException.badRequest("line " + lineNo + ": missing string field \"key\"");
            }
            boolean erase = n.path("erase").asBoolean(false);
            if (!erase && n.get("value") == null) {
                throw QueryException.badRequest("line " + lineNo + ": missing field \"value\" (or \"erase\": true)");
            }
            byte[] v = erase ? null : (n.get("value").isTextual() ? n.get("value").asText() : n.get("value").toString())
                    .getBytes(StandardCharsets.UTF_8);
            return new JsonNodeHolder(n.get("key").asText().getBytes(StandardCharsets.UTF_8), v, erase);
        }
    }

    private static Operation operation(String op) {
        if (op == null) {
            throw QueryException.badRequest("POST /v1/keys/{key} needs op=incr, incrf, append or prepend");
        }
        switch (op.toLowerCase(Locale.ROOT)) {
            case "incr":
                return Operation.INCR;
            case "incrf":
                return Operation.INCRF;
            case "append":
                return Operation.APPEND;
            case "prepend":
                return Operation.PREPEND;
            default:
                throw QueryException.badRequest("unknown op '" + op + "'; use incr, incrf, append or prepend");
        }
    }

    /** {@code POST /v1/joins[?name=FILE]}: installs the body's joins (Pequod's join language). */
    private FullHttpResponse install(FullHttpRequest req, String name) {
        String text = req.content().toString(StandardCharsets.UTF_8);
        if (text.isBlank()) {
            throw QueryException.badRequest("POST /v1/joins needs a join spec in the body (Pequod's join language), "
                    + "e.g. the contents of examples/twitter.pq");
        }
        ViewEngine.Installed r;
        try {
            r = engine.install(name == null || name.isBlank() ? "request" : name, text);
        } catch (io.pequod.views.spec.JoinSpecException e) {
            throw new QueryException(400, "invalid join spec", e.getMessage());
        } catch (PequodException e) {
            throw QueryException.unavailable("could not install the joins: " + e.getMessage());
        }
        ObjectNode o = joins();
        ArrayNode added = o.putArray("added");
        r.added().forEach(added::add);
        ObjectNode started = o.putObject("started");
        r.views().forEach(started::put);
        ArrayNode newTables = o.putArray("new_tables");
        r.tables().forEach(newTables::add);
        return json(200, o);
    }

    private ObjectNode joins() {
        ObjectNode o = JSON.createObjectNode();
        ArrayNode a = o.putArray("joins");
        for (Join j : engine.spec().joins()) {
            ObjectNode n = a.addObject();
            n.put("sink", j.sinkTable());
            n.put("operator", j.operator().keyword());
            n.put("mode", j.pull() ? "pull" : "push");
            n.put("text", j.text());
            n.put("position", j.position().toString());
        }
        o.putPOJO("tables", service.catalog().tables());
        return o;
    }

    private FullHttpResponse health() {
        ObjectNode o = JSON.createObjectNode();
        Map<String, KafkaStreams.State> states = engine.state();
        boolean up = !states.isEmpty() && states.values().stream().allMatch(s -> s == KafkaStreams.State.RUNNING);
        o.put("status", up ? "UP" : "DOWN");
        ObjectNode apps = o.putObject("applications");
        states.forEach((k, v) -> apps.put(k, v.name()));
        ObjectNode lag = o.putObject("store_lag");
        ServerMetrics.storeLags(engine).forEach(lag::put);
        o.put("dead_letters", engine.deadLetterCount());
        // Still serving (the tables are shared), but an operator must act: listed, not a 503.
        ObjectNode problems = o.putObject("problems");
        engine.problems().forEach(problems::put);
        return json(up ? 200 : 503, o);
    }

    /**
     * Writes a scan's JSON straight into the response buffer: no tree of nodes and no string per
     * entry (an ASCII key or value is copied as it is), which is most of a scan's garbage.
     */
    private static FullHttpResponse scanJson(ScanResult r, boolean b64) {
        int size = 32;
        for (Entry e : r.entries()) {
            size += 24 + e.key().length + e.value().length;
        }
        io.netty.buffer.ByteBuf buf = Unpooled.buffer(b64 ? size * 4 / 3 + 16 : size);
        try (com.fasterxml.jackson.core.JsonGenerator g = JSON.getFactory().createGenerator(
                (java.io.OutputStream) new io.netty.buffer.ByteBufOutputStream(buf))) {
            g.writeStartObject();
            g.writeArrayFieldStart("entries");
            for (Entry e : r.entries()) {
                g.writeStartObject();
                g.writeFieldName("key");
                writeBytes(g, e.key(), b64);
                g.writeFieldName("value");
                writeBytes(g, e.value(), b64);
                g.writeEndObject();
            }
            g.writeEndArray();
            g.writeBooleanField("more", r.more());
            g.writeEndObject();
        } catch (java.io.IOException e) {
            buf.release();
            throw new IllegalStateException(e);
        }
        FullHttpResponse res = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK, buf);
        res.headers().set(HttpHeaderNames.CONTENT_TYPE, "application/json");
        return res;
    }

    private static void writeBytes(com.fasterxml.jackson.core.JsonGenerator g, byte[] b, boolean b64) throws java.io.IOException {
        if (b64) {
            g.writeString(PeerClient.b64(b));
            return;
        }
        for (byte x : b) {
            if (x < 0) { // not ASCII: decoded as before, invalid UTF-8 becoming U+FFFD
                g.writeString(new String(b, StandardCharsets.UTF_8));
                return;
            }
        }
        g.writeUTF8String(b, 0, b.length); // escapes quotes, backslashes and control characters
    }

    private static ObjectNode entry(byte[] key, byte[] value, boolean b64) {
        return JSON.createObjectNode().put("key", enc(key, b64)).put("value", enc(value, b64));
    }

    private static ObjectNode position(WritePosition pos) {
        return JSON.createObjectNode().put("token", pos.token()).put("topic", pos.topic()).put("partition", pos.partition())
                .put("offset", pos.offset());
    }

    private static String enc(byte[] b, boolean b64) {
        return b64 ? PeerClient.b64(b) : new String(b, StandardCharsets.UTF_8);
    }

    private static String text(byte[] b) {
        return new String(b, StandardCharsets.UTF_8);
    }

    /** Decodes a URL path segment; unlike query strings, '+' stays '+'. */
    static byte[] decodePath(String raw) {
        return QueryStringDecoder.decodeComponent(raw.replace("+", "%2B"), StandardCharsets.UTF_8).getBytes(StandardCharsets.UTF_8);
    }

    private static String param(Map<String, List<String>> p, String name) {
        List<String> v = p.get(name);
        return v == null || v.isEmpty() ? null : v.get(0);
    }

    private static boolean bool(Map<String, List<String>> p, String name) {
        return "true".equalsIgnoreCase(param(p, name));
    }

    private static Integer intParam(Map<String, List<String>> p, String name) {
        String v = param(p, name);
        if (v == null) {
            return null;
        }
        try {
            return Integer.parseInt(v);
        } catch (NumberFormatException e) {
            throw QueryException.badRequest("parameter " + name + "='" + v + "' is not an integer");
        }
    }

    private static byte[] required(Map<String, List<String>> p, String name, boolean b64) {
        String v = param(p, name);
        if (v == null) {
            throw QueryException.badRequest("missing parameter " + name);
        }
        if (b64) {
            try {
                return PeerClient.unb64(v);
            } catch (IllegalArgumentException e) {
                throw QueryException.badRequest("parameter " + name + " is not base64url");
            }
        }
        return v.getBytes(StandardCharsets.UTF_8);
    }

    private static List<Integer> partitions(Map<String, List<String>> p) {
        String v = param(p, "partitions");
        if (v == null || v.isEmpty()) {
            throw QueryException.badRequest("missing parameter partitions");
        }
        try {
            return Arrays.stream(v.split(",")).map(Integer::parseInt).toList();
        } catch (NumberFormatException e) {
            throw QueryException.badRequest("parameter partitions='" + v + "' is not a list of integers");
        }
    }

    private static FullHttpResponse json(int status, Object body) {
        try {
            FullHttpResponse r = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.valueOf(status),
                    Unpooled.wrappedBuffer(JSON.writeValueAsBytes(body)));
            r.headers().set(HttpHeaderNames.CONTENT_TYPE, "application/json");
            return r;
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    private static FullHttpResponse error(int status, String error, String detail) {
        return json(status, JSON.createObjectNode().put("error", error).put("detail", detail));
    }

    private static FullHttpResponse text(int status, String body, String type) {
        FullHttpResponse r = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.valueOf(status),
                Unpooled.wrappedBuffer(body.getBytes(StandardCharsets.UTF_8)));
        r.headers().set(HttpHeaderNames.CONTENT_TYPE, type);
        return r;
    }

}
