package io.pequod.server.http;

import io.netty.handler.codec.http.HttpMethod;
import io.pequod.server.query.QueryException;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;

/** The HTTP API's endpoints, looked up by method and path; the first matching route wins. */
final class RouteTable {
    /** A route found for a request, with its path variable. */
    record Match(Route route, String variable) {
    }

    private final List<Route> routes = new ArrayList<>();

    RouteTable add(HttpMethod method, String template, Route.Group group, Route.Handler handler) {
        return addDeferred(method, template, group, c -> CompletableFuture.completedFuture(handler.handle(c)));
    }

    RouteTable addDeferred(HttpMethod method, String template, Route.Group group, Route.Deferred handler) {
        routes.add(new Route(method, template, group, handler));
        return this;
    }

    /**
     * @return the route of a request
     * @throws QueryException not found (naming the public endpoints) or not allowed (naming the methods that are)
     */
    Match find(HttpMethod method, String path) {
        Set<String> allowed = new LinkedHashSet<>();
        for (Route r : routes) {
            String variable = r.match(path);
            if (variable == null) {
                continue;
            }
            if (r.method().equals(method)) {
                return new Match(r, variable);
            }
            allowed.add(r.method().name());
        }
        if (!allowed.isEmpty()) {
            throw QueryException.notAllowed(method + " is not allowed on " + path + "; use " + String.join(", ", allowed));
        }
        throw QueryException.notFound("no endpoint " + path + "; see GET /v1/keys/{key}, /v1/scan, /v1/count, "
                + "/v1/joins, /health, /metrics");
    }
}
