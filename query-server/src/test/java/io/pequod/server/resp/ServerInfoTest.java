package io.pequod.server.resp;

import io.pequod.server.query.Failure;
import io.pequod.server.query.QueryException;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.LongSupplier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ServerInfoTest {
    @Test
    void shouldGiveEverySectionInRedisOrderOrOnlyThoseAsked() {
        ServerInfo info = new ServerInfo();
        info.port(6390);
        info.opened();
        info.opened();
        info.closed();
        info.command();
        String all = info.render(Set.of(), () -> 7, () -> 2);
        int at = -1;
        for (String s : new String[] {"# Server", "# Clients", "# Memory", "# Persistence", "# Stats", "# Replication", "# CPU",
            "# Keyspace"}) {
            int i = all.indexOf(s + "\r\n");
            assertTrue(i > at, s + " after the one before it in " + all);
            at = i;
        }
        assertTrue(all.contains("\r\ntcp_port:6390\r\n") && all.contains("\r\nconnected_clients:1\r\n"), all);
        assertTrue(all.contains("\r\ntotal_connections_received:2\r\n") && all.contains("\r\ntotal_commands_processed:1\r\n"), all);
        assertTrue(all.endsWith("# Keyspace\r\ndb0:keys=7,expires=2\r\n"), all);
        assertEquals(fields(all), fields(info.render(Set.of("everything"), () -> 7, () -> 2)), "the same fields (times and memory move)");
        String two = info.render(Set.of("keyspace", "clients"), () -> 7, () -> 2);
        assertTrue(two.startsWith("# Clients\r\n") && two.contains("# Keyspace") && !two.contains("# Server"), two);
        assertEquals("", info.render(Set.of("nosuchsection"), () -> 7, () -> 2), "an unknown section adds nothing, as in Redis");
    }

    private static List<String> fields(String info) {
        return info.lines().map(l -> l.contains(":") ? l.substring(0, l.indexOf(':')) : l).toList();
    }

    @Test
    void shouldLeaveTheKeyspaceEmptyWithNoKeysOrWhileTablesMove() {
        ServerInfo info = new ServerInfo();
        assertEquals("# Keyspace\r\n", info.render(Set.of("keyspace"), () -> 0, () -> 0));
        String moving = info.render(Set.of("keyspace"), () -> {
            throw new QueryException(Failure.Kind.UNAVAILABLE, "unavailable", "partition 0 is moving");
        }, () -> 0);
        assertEquals("# Keyspace\r\n", moving);
        assertFalse(moving.contains("db0"));
    }

    @Test
    void shouldReuseAKeyCountForTenTimesWhatItCost() throws Exception {
        ServerInfo info = new ServerInfo();
        AtomicInteger counts = new AtomicInteger();
        LongSupplier slow = () -> {
            counts.incrementAndGet();
            try {
                Thread.sleep(30);
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
            return 5;
        };
        info.render(Set.of("keyspace"), slow, () -> 1);
        String again = info.render(Set.of("keyspace"), slow, () -> 1);
        assertEquals(1, counts.get(), "reused at once");
        assertTrue(again.contains("db0:keys=5,expires=1"), again);
        Thread.sleep(30 * ServerInfo.RECOUNT_FACTOR + 100);
        info.render(Set.of("keyspace"), slow, () -> 1);
        assertEquals(2, counts.get(), "counted again once ten times its cost passed");
    }
}
