package io.pequod.server.http;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.netty.handler.codec.http.HttpMethod;
import io.pequod.schemas.Expiry;
import io.pequod.schemas.avro.Operation;
import io.pequod.server.query.PeerClient;
import io.pequod.server.query.QueryException;
import io.pequod.server.query.QueryService;
import io.pequod.server.query.ReadNote;
import io.pequod.server.query.Stored;

import java.nio.charset.StandardCharsets;
import java.util.Locale;
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

    /** @return the operation an instance asks another to apply (any of {@link Operation}'s names) */
    private static Operation internalOperation(String op) {
        try {
            return Operation.valueOf(String.valueOf(op).toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw QueryException.badRequest("unknown op '" + op + "'");
        }
    }

    void register(RouteTable t) {
        Route.Group g = Route.Group.INTERNAL;
        t.add(HttpMethod.GET, "/v1/internal/get", g, c -> {
            byte[] key = c.required("key", true);
            ReadNote note = new ReadNote();
            Optional<Stored> v = service.getStoredLocal(key, c.param("after"), c.bool("stale"), note);
            if (v.isEmpty()) {
                throw QueryException.notFound("key '" + new String(key, StandardCharsets.UTF_8) + "' is absent");
            }
            ObjectNode entry = Responses.entry(key, v.get().value(), true);
            if (v.get().expireAt() != null) {
                entry.put("expire_at", v.get().expireAt());
            }
            if (v.get().createdAt() != null) {
                entry.put("created_at", v.get().createdAt());
            }
            return Responses.ok(entry, note);
        }).add(HttpMethod.GET, "/v1/internal/scan", g, c -> {
            ReadNote note = new ReadNote();
            return Responses.scan(service.scanLocal(c.param("table"), c.required("first", true), c.required("last", true),
                    c.intParam("limit"), c.partitions(), c.param("after"), c.bool("stale"), note), true, note);
        }).add(HttpMethod.GET, "/v1/internal/count", g, c -> {
            ReadNote note = new ReadNote();
            long n = service.countLocal(c.param("table"), c.required("first", true), c.required("last", true), c.partitions(),
                    c.param("after"), c.bool("stale"), c.bool("expiring"), note);
            return Responses.ok(JSON.createObjectNode().put("count", n), note);
        }).addDeferred(HttpMethod.POST, "/v1/internal/rmw", g, c -> {
            byte[] key = c.required("key", true);
            String at = c.param("expire_at");
            Expiry expiry = new Expiry(at == null ? null : Long.parseLong(at), c.bool("keep_ttl"));
            return service.readModifyWriteLocal(key, internalOperation(c.param("op")), c.body(), expiry).thenApply(v -> {
                ObjectNode o = JSON.createObjectNode().put("key", PeerClient.b64(key));
                o.put("value", v.map(PeerClient::b64).orElse(null));
                return ok(o);
            });
        });
    }
}
