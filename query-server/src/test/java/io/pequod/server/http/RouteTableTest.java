package io.pequod.server.http;

import io.netty.handler.codec.http.HttpMethod;
import io.pequod.server.query.Failure;
import io.pequod.server.query.QueryException;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** Looking up routes: templates with a variable, 404 and 405 with what is allowed, statuses of failures. */
class RouteTableTest {
    private final RouteTable table = new RouteTable()
            .add(HttpMethod.GET, "/v1/keys/{key}", Route.Group.PUBLIC, c -> null)
            .add(HttpMethod.PUT, "/v1/keys/{key}", Route.Group.PUBLIC, c -> null)
            .add(HttpMethod.POST, "/v1/views/{view}/rebuild", Route.Group.ADMIN, c -> null)
            .add(HttpMethod.GET, "/health", Route.Group.PROBE, c -> null);

    @Test
    void findsTheRouteAndItsVariable() {
        RouteTable.Match m = table.find(HttpMethod.PUT, "/v1/keys/t%7Ca");
        assertEquals(HttpMethod.PUT, m.route().method());
        assertEquals("t%7Ca", m.variable());
        assertEquals("t", table.find(HttpMethod.POST, "/v1/views/t/rebuild").variable());
        assertEquals("", table.find(HttpMethod.GET, "/health").variable());
        assertEquals(Route.Group.PROBE, table.find(HttpMethod.GET, "/health").route().group());
    }

    @Test
    void saysWhatIsAllowedOrThatNothingIsThere() {
        QueryException e = assertThrows(QueryException.class, () -> table.find(HttpMethod.DELETE, "/v1/keys/x"));
        assertEquals(Failure.Kind.NOT_ALLOWED, e.kind());
        assertEquals("DELETE is not allowed on /v1/keys/x; use GET, PUT", e.getMessage());
        e = assertThrows(QueryException.class, () -> table.find(HttpMethod.GET, "/v1/nothing"));
        assertEquals(Failure.Kind.NOT_FOUND, e.kind());
        e = assertThrows(QueryException.class, () -> table.find(HttpMethod.GET, "/v1/views/t/rebuil"));
        assertEquals(Failure.Kind.NOT_FOUND, e.kind());
    }

    @Test
    void mapsEveryKindOfFailureToAStatus() {
        assertEquals(400, Responses.status(Failure.Kind.BAD_REQUEST));
        assertEquals(401, Responses.status(Failure.Kind.UNAUTHORIZED));
        assertEquals(404, Responses.status(Failure.Kind.NOT_FOUND));
        assertEquals(405, Responses.status(Failure.Kind.NOT_ALLOWED));
        assertEquals(503, Responses.status(Failure.Kind.UNAVAILABLE));
        assertEquals(500, Responses.status(Failure.Kind.INTERNAL));
    }
}
