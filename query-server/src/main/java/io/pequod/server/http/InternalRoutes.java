package io.pequod.server.http;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.netty.handler.codec.http.HttpMethod;
import io.pequod.server.query.PeerClient;
import io.pequod.server.query.QueryException;
import io.pequod.server.query.QueryService;
import io.pequod.server.query.ReadNote;

import java.nio.charset.StandardCharsets;
import java.util.Optional;

import static io.pequod.server.http.Responses.JSON;
import static io.pequod.server.http.Responses.ok;

/**
 * Endpoints other instances call ({@code PeerClient}) for keys and partitions this instance owns:
 * answered from its own stores, never forwarded again. Keys and values in base64url.
 */
final class InternalRoutes {
    private final QueryService service;

    InternalRoutes(QueryService service) {
        this.service = service;
    }

    void register(RouteTable t) {
        Route.Group g = Route.Group.INTERNAL;
        t.add(HttpMethod.GET, "/v1/internal/get", g, c -> {
            byte[] key = c.required("key", true);
            ReadNote note = new ReadNote();
            Optional<byte[]> v = service.getLocal(key, c.param("after"), c.bool("stale"), note);
            if (v.isEmpty()) {
                throw QueryException.notFound("key '" + new String(key, StandardCharsets.UTF_8) + "' is absent");
            }
            return Responses.ok(Responses.entry(key, v.get(), true), note);
        }).add(HttpMethod.GET, "/v1/internal/scan", g, c -> {
            ReadNote note = new ReadNote();
            return Responses.scan(service.scanLocal(c.param("table"), c.required("first", true), c.required("last", true),
                    c.intParam("limit"), c.partitions(), c.param("after"), c.bool("stale"), note), true, note);
        }).add(HttpMethod.GET, "/v1/internal/count", g, c -> {
            ReadNote note = new ReadNote();
            long n = service.countLocal(c.param("table"), c.required("first", true), c.required("last", true), c.partitions(),
                    c.param("after"), c.bool("stale"), note);
            return Responses.ok(JSON.createObjectNode().put("count", n), note);
        }).addDeferred(HttpMethod.POST, "/v1/internal/rmw", g, c -> {
            byte[] key = c.required("key", true);
            return service.readModifyWriteLocal(key, PublicRoutes.operation(c.param("op")), c.body()).thenApply(v -> {
                ObjectNode o = JSON.createObjectNode().put("key", PeerClient.b64(key));
                o.put("value", v.map(PeerClient::b64).orElse(null));
                return ok(o);
            });
        });
    }
}
