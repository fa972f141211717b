package io.pequod.server.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpMethod;
import io.pequod.schemas.avro.Operation;
import io.pequod.server.query.QueryException;
import io.pequod.server.query.QueryService;
import io.pequod.server.query.ReadNote;
import io.pequod.server.query.ScanResult;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.Optional;

import static io.pequod.server.http.Responses.JSON;
import static io.pequod.server.http.Responses.ok;

/**
 * Applications' endpoints: keys, scans, counts, batches of writes. Reads take {@code after}
 * (write tokens, or {@code instance} for every write made through this instance, as Redis clients
 * get) and {@code stale}.
 */
final class PublicRoutes {
    private static final String KEY = "/v1/keys/{key}";

    private final QueryService service;

    PublicRoutes(QueryService service) {
        this.service = service;
    }

    void register(RouteTable t) {
        Route.Group g = Route.Group.PUBLIC;
        t.add(HttpMethod.GET, KEY, g, this::get)
                .addDeferred(HttpMethod.PUT, KEY, g, c -> service.writeAsync(key(c), c.body()).thenApply(p -> ok(Responses.position(p))))
                .addDeferred(HttpMethod.DELETE, KEY, g, c -> service.writeAsync(key(c), null).thenApply(p -> ok(Responses.position(p))))
                .addDeferred(HttpMethod.POST, KEY, g, this::readModifyWrite)
                .add(HttpMethod.GET, "/v1/scan", g, this::scan)
                .add(HttpMethod.GET, "/v1/count", g, this::count)
                .addDeferred(HttpMethod.POST, "/v1/batch", g, this::batch)
                .add(HttpMethod.POST, "/v1/counts", g, this::counts);
    }

    private static byte[] key(Call c) {
        byte[] key = c.variable();
        if (key.length == 0) {
            throw QueryException.badRequest("missing key in /v1/keys/{key}");
        }
        return key;
    }

    private FullHttpResponse get(Call c) {
        byte[] key = key(c);
        ReadNote note = new ReadNote();
        Optional<byte[]> v = service.get(key, c.param("after"), c.bool("stale"), note);
        if (v.isEmpty()) {
            String stale = note.isStale() ? " (on a copy that may be behind: " + note.reason() + ")" : "";
            throw QueryException.notFound("key '" + new String(key, StandardCharsets.UTF_8) + "' is absent" + stale);
        }
        return Responses.ok(Responses.entry(key, v.get(), c.base64()), note);
    }

    private FullHttpResponse scan(Call c) {
        ReadNote note = new ReadNote();
        ScanResult r = service.scan(c.required("first", c.base64()), c.required("last", c.base64()), c.intParam("limit"),
                c.param("after"), c.bool("stale"), note);
        return Responses.scan(r, c.base64(), note);
    }

    private FullHttpResponse count(Call c) {
        ReadNote note = new ReadNote();
        long n = service.count(c.required("first", c.base64()), c.required("last", c.base64()), c.param("after"), c.bool("stale"), note);
        return Responses.ok(JSON.createObjectNode().put("count", n), note);
    }

    private CompletableFuture<FullHttpResponse> readModifyWrite(Call c) {
        byte[] key = key(c);
        return service.readModifyWrite(key, operation(c.param("op")), c.body()).thenApply(v -> {
            ObjectNode o = JSON.createObjectNode().put("key", Responses.enc(key, c.base64()));
            o.put("value", v.map(x -> Responses.enc(x, c.base64())).orElse(null));
            return ok(o);
        });
    }

    static Operation operation(String op) {
        if (op == null) {
            throw QueryException.badRequest("POST /v1/keys/{key} needs op=incr, incrf, append or prepend");
        }
        return switch (op.toLowerCase(Locale.ROOT)) {
            case "incr" -> Operation.INCR;
            case "incrf" -> Operation.INCRF;
            case "append" -> Operation.APPEND;
            case "prepend" -> Operation.PREPEND;
            default -> throw QueryException.badRequest("unknown op '" + op + "'; use incr, incrf, append or prepend");
        };
    }

    /** Writes JSON lines ({"key","value"} or {"key","erase":true}) in order; answers once all are acknowledged. */
    private CompletableFuture<FullHttpResponse> batch(Call c) {
        List<byte[][]> writes = new ArrayList<>();
        int lineNo = 0;
        for (String line : c.bodyText().split("\n")) {
            lineNo++;
            if (!line.isBlank()) {
                writes.add(batchLine(line, lineNo));
            }
        }
        return service.writeAll(writes).thenApply(last -> {
            ObjectNode o = JSON.createObjectNode().put("written", writes.size());
            ArrayNode tokens = o.putArray("tokens");
            last.values().forEach(w -> tokens.add(w.token()));
            return ok(o);
        });
    }

    /** @return {key, value}, the value {@code null} for an erase */
    private static byte[][] batchLine(String line, int lineNo) {
        JsonNode n;
        try {
            n = JSON.readTree(line);
        } catch (IOException e) {
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
        return new byte[][] {n.get("key").asText().getBytes(StandardCharsets.UTF_8), v};
    }

    /** Counts several ranges: [{"first","last"}, ...] -> {"counts": [...]}. */
    private FullHttpResponse counts(Call c) {
        JsonNode arr;
        try {
            arr = JSON.readTree(c.bodyText());
        } catch (IOException e) {
            throw QueryException.badRequest("body is not JSON: " + e.getMessage());
        }
        if (arr == null || !arr.isArray()) {
            throw QueryException.badRequest("body must be a JSON array of {\"first\", \"last\"}");
        }
        ObjectNode o = JSON.createObjectNode();
        ArrayNode counts = o.putArray("counts");
        ReadNote note = new ReadNote();
        List<byte[][]> ranges = new ArrayList<>();
        for (JsonNode r : arr) {
            if (r.path("first").isTextual() && r.path("last").isTextual()) {
                ranges.add(new byte[][] {r.get("first").asText().getBytes(StandardCharsets.UTF_8),
                        r.get("last").asText().getBytes(StandardCharsets.UTF_8)});
            }
        }
        service.prefetch(ranges);
        for (JsonNode r : arr) {
            if (!r.path("first").isTextual() || !r.path("last").isTextual()) {
                throw QueryException.badRequest("each range needs string fields first and last; got " + r);
            }
            counts.add(service.count(r.get("first").asText().getBytes(StandardCharsets.UTF_8),
                    r.get("last").asText().getBytes(StandardCharsets.UTF_8), null, false, note));
        }
        return Responses.ok(o, note);
    }
}
