package io.pequod.server.internals;

import io.pequod.server.QueryException;
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
        assertEquals(503, e.status());
        assertTrue(e.getMessage().startsWith("instance 127.0.0.1:1, which owns the data, did not answer"), e.getMessage());
    }

    @Test
    void shouldRoundTripKeysThroughBase64Url() {
        byte[] key = {'t', '|', (byte) 0xFF, 0, '+', '/'};
        assertArrayEquals(key, PeerClient.unb64(PeerClient.b64(key)));
    }
}
