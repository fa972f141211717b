package io.pequod.apps.workload;

import io.pequod.embedded.EmbeddedRuntime;
import io.pequod.embedded.Ports;
import io.pequod.server.PequodServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Client-managed timelines read what the reference says, in Pequod's base table and in a real Redis. */
@Timeout(600)
class TwitterPushIT {
    private static final int USERS = 200;
    private static final long TICKS = 110_000;

    @Test
    void shouldReadTheReferenceFromPequodBaseTable(@TempDir Path dir) throws Exception {
        try (EmbeddedRuntime rt = EmbeddedRuntime.start(null);
             PequodServer s = PequodServer.builder().bootstrapServers(rt.bootstrapServers()).schemaRegistryUrl(rt.schemaRegistryUrl())
                     .namespace("push").tables(Set.of("t")).dataDir(dir).httpPort(0).respPort(-1).build().start()) {
            assertTrue(s.awaitRunning(Duration.ofMinutes(2)));
            PushRun run = new PushRun(USERS, TICKS, 0.7, 3);
            long expected = run.reference();
            assertTrue(expected > 100, "reads something: " + expected);
            assertEquals(expected, run.pequod("http://127.0.0.1:" + s.httpPort()).path("nposts_read").asLong());
        }
    }

    @Test
    void shouldReadTheReferenceFromARealRedis() throws Exception {
        int port = Ports.free();
        Process redis = new ProcessBuilder("redis-server", "--port", Integer.toString(port), "--bind", "127.0.0.1", "--save", "",
                "--appendonly", "no").redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        try {
            Thread.sleep(300);
            PushRun run = new PushRun(USERS, TICKS, 0.7, 3);
            assertEquals(run.reference(), run.redis("127.0.0.1:" + port).path("nposts_read").asLong());
        } finally {
            redis.destroy();
            redis.waitFor(10, TimeUnit.SECONDS);
        }
    }
}
