package io.pequod.server.query;

import io.pequod.server.query.QueryException;
import org.apache.kafka.streams.state.HostInfo;
import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PeerClientTest {
    private final PeerClient client = new PeerClient(null, Duration.ofSeconds(1));

    @Test
    void shouldRefuseToCallAnotherInstanceFromANonBlockingSection() {
        assertThrows(PeerClient.WouldBlockException.class,
                () -> PeerClient.nonBlocking(() -> client.get(new HostInfo("127.0.0.1", 1), "k".getBytes(), null, false)));
    }

    @Test
    void shouldSayWhichInstanceDidNotAnswer() {
        QueryException e = assertThrows(QueryException.class, () -> client.get(new HostInfo("127.0.0.1", 1), "k".getBytes(), null, false));
        assertEquals(Failure.Kind.UNAVAILABLE, e.kind());
        assertTrue(e.getMessage().startsWith("instance 127.0.0.1:1, which owns the data, did not answer"), e.getMessage());
    }

    @Test
    void shouldRoundTripKeysThroughBase64Url() {
        byte[] key = {'t', '|', (byte) 0xFF, 0, '+', '/'};
        assertArrayEquals(key, PeerClient.unb64(PeerClient.b64(key)));
    }

    @Test
    void shouldSendTheSharedSecretAndReportTheOtherInstancesErrors() throws Exception {
        java.util.List<String> seen = java.util.Collections.synchronizedList(new java.util.ArrayList<>());
        com.sun.net.httpserver.HttpServer other = com.sun.net.httpserver.HttpServer.create(
                new java.net.InetSocketAddress(java.net.InetAddress.getLoopbackAddress(), 0), 0);
        other.createContext("/", x -> {
            seen.add(x.getRequestMethod() + " " + x.getRequestURI() + " " + x.getRequestHeaders().getFirst("Authorization"));
            boolean ok = x.getRequestURI().getPath().equals("/v1/stats");
            byte[] body = (ok ? "{\"instances\":1}" : "{\"error\":\"unauthorized\",\"detail\":\"wrong token\"}")
                    .getBytes(java.nio.charset.StandardCharsets.UTF_8);
            x.sendResponseHeaders(ok ? 200 : 401, body.length);
            x.getResponseBody().write(body);
            x.close();
        });
        other.start();
        try (PeerClient withSecret = new PeerClient("s3cret", Duration.ofSeconds(5))) {
            HostInfo h = new HostInfo("127.0.0.1", other.getAddress().getPort());
            assertEquals(1, withSecret.get(h, "/v1/stats", Duration.ofSeconds(5)).path("instances").asInt());
            QueryException e = assertThrows(QueryException.class, () -> withSecret.get(h, "/v1/settle?scope=local", Duration.ofSeconds(5)));
            assertEquals(Failure.Kind.UNAUTHORIZED, e.kind());
            assertEquals("instance 127.0.0.1:" + h.port() + ": wrong token", e.getMessage());
            assertEquals(java.util.List.of("GET /v1/stats Bearer s3cret", "GET /v1/settle?scope=local Bearer s3cret"), seen);
        } finally {
            other.stop(0);
        }
    }
}
