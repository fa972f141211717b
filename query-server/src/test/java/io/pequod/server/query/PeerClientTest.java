package io.pequod.server.query;

import com.sun.net.httpserver.HttpServer;
import org.apache.kafka.streams.state.HostInfo;
import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PeerClientTest {
    private final PeerClient client = new PeerClient(null, Duration.ofSeconds(1));

    @Test
    void shouldRefuseToCallAnotherInstanceFromANonBlockingSection() {
        assertThrows(PeerClient.WouldBlockException.class, () -> PeerClient.nonBlocking(
                () -> client.get(new HostInfo("127.0.0.1", 1), "k".getBytes(), null, false, new ReadNote())));
    }

    @Test
    void shouldSayWhichInstanceDidNotAnswerAndMarkItDown() {
        HostInfo gone = new HostInfo("127.0.0.1", 1);
        assertFalse(client.health().isDown(gone));
        QueryException e = assertThrows(QueryException.class, () -> client.get(gone, "k".getBytes(), null, false, new ReadNote()));
        assertEquals(Failure.Kind.UNAVAILABLE, e.kind());
        assertTrue(e.isUnreachable());
        assertTrue(e.getMessage().startsWith("instance 127.0.0.1:1, which owns the data, did not answer"), e.getMessage());
        assertTrue(client.health().isDown(gone), "reads stop routing to it");
    }

    @Test
    void shouldRoundTripKeysThroughBase64Url() {
        byte[] key = {'t', '|', (byte) 0xFF, 0, '+', '/'};
        assertArrayEquals(key, PeerClient.unb64(PeerClient.b64(key)));
    }

    @Test
    void shouldCarryAnotherInstancesStaleMarkAndSeeItUpAgainOnceItsHealthSaysSo() throws Exception {
        AtomicBoolean up = new AtomicBoolean(false);
        HttpServer other = server((path, out) -> {
            if (path.equals("/health")) {
                return up.get() ? "{\"status\":\"UP\"}" : "{\"status\":\"DOWN\"}";
            }
            return "{\"key\":\"aw\",\"value\":\"dg\",\"stale\":true,\"lag\":7,\"stale_reason\":\"a standby on it\"}";
        });
        try (PeerClient peers = new PeerClient(null, Duration.ofSeconds(5))) {
            HostInfo h = new HostInfo("127.0.0.1", other.getAddress().getPort());
            ReadNote note = new ReadNote();
            assertArrayEquals("v".getBytes(StandardCharsets.UTF_8), peers.get(h, "k".getBytes(), null, true, note).orElseThrow());
            assertTrue(note.isStale());
            assertEquals(7, note.lag());
            assertEquals("a standby on it", note.reason());
            peers.health().markDown(h, "test");
            Thread.sleep(1_500);
            assertTrue(peers.health().isDown(h), "DOWN is not back");
            up.set(true);
            long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
            while (peers.health().isDown(h) && System.nanoTime() < deadline) {
                Thread.sleep(50);
            }
            assertFalse(peers.health().isDown(h), "UP again: routed to again");
        } finally {
            other.stop(0);
        }
    }

    @Test
    void shouldSendTheSharedSecretAndReportTheOtherInstancesErrors() throws Exception {
        List<String> seen = Collections.synchronizedList(new ArrayList<>());
        HttpServer other = server((path, auth) -> {
            seen.add(path + " " + auth);
            return path.startsWith("/v1/stats") ? "{\"instances\":1}" : null;
        });
        try (PeerClient withSecret = new PeerClient("s3cret", Duration.ofSeconds(5))) {
            HostInfo h = new HostInfo("127.0.0.1", other.getAddress().getPort());
            assertEquals(1, withSecret.get(h, "/v1/stats", Duration.ofSeconds(5)).path("instances").asInt());
            QueryException e = assertThrows(QueryException.class, () -> withSecret.get(h, "/v1/settle?scope=local", Duration.ofSeconds(5)));
            assertEquals(Failure.Kind.UNAUTHORIZED, e.kind());
            assertFalse(e.isUnreachable(), "it answered");
            assertEquals("instance 127.0.0.1:" + h.port() + ": wrong token", e.getMessage());
            assertEquals(List.of("/v1/stats Bearer s3cret", "/v1/settle?scope=local Bearer s3cret"), seen);
        } finally {
            other.stop(0);
        }
    }

    /** What a fake instance answers a path (given the Authorization header): a JSON body, or null for a 401. */
    private interface Answers {
        String answer(String pathAndQuery, String authorization);
    }

    private static HttpServer server(Answers answers) throws Exception {
        HttpServer other = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        other.createContext("/", x -> {
            String body = answers.answer(x.getRequestURI().toString(), x.getRequestHeaders().getFirst("Authorization"));
            byte[] b = (body != null ? body : "{\"error\":\"unauthorized\",\"detail\":\"wrong token\"}").getBytes(StandardCharsets.UTF_8);
            x.sendResponseHeaders(body != null ? 200 : 401, b.length);
            x.getResponseBody().write(b);
            x.close();
        });
        other.start();
        return other;
    }
}
