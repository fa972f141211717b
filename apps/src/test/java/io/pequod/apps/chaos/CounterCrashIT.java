package io.pequod.apps.chaos;

import io.pequod.embedded.EmbeddedRuntime;
import io.pequod.embedded.Ports;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import redis.clients.jedis.Jedis;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLongArray;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Exact read-modify-writes at least once: a real {@code serve} process (default processing
 * guarantee) is killed with {@code kill -9} while clients INCR counters over RESP, then restarted;
 * every counter must equal the INCRs acknowledged to its client, plus at most the one the client
 * had in flight when the connection died (written or not). Without the offsets in store values,
 * the owner re-applies the INCRs between its last commit and the kill (its store's changelog had
 * them): counters come out high by up to a second of load.
 */
@Timeout(600)
class CounterCrashIT {
    private static final int CLIENTS = 4;
    private static final int COUNTERS_PER_CLIENT = 8;
    private static final String READ = "/v1/scan?first=c&last=d&limit=1";

    @Test
    void killedUnderIncrLoadEveryCounterEqualsItsAcknowledgedIncrements(@TempDir Path dir) throws Exception {
        try (EmbeddedRuntime rt = EmbeddedRuntime.start(dir.resolve("kafka"), 0, 0)) {
            int resp = Ports.free();
            List<String> args = List.of("--tables", "kv", "--partitions", "4", "--resp-port", Integer.toString(resp),
                    "--namespace", "counters", "--bootstrap-servers", rt.bootstrapServers(), "--schema-registry", rt.schemaRegistryUrl());
            int port = Ports.free();
            ServeProcess a = new ServeProcess("instance", dir.resolve("a"), port, args, List.of()).start();
            int n = CLIENTS * COUNTERS_PER_CLIENT;
            AtomicLongArray acked = new AtomicLongArray(n);
            AtomicLongArray inFlight = new AtomicLongArray(n);
            try {
                a.awaitServing(READ, Duration.ofMinutes(3));
                AtomicBoolean stop = new AtomicBoolean();
                List<Thread> clients = new ArrayList<>();
                for (int c = 0; c < CLIENTS; c++) {
                    int client = c;
                    Thread t = new Thread(() -> incrementUntilCut(resp, client, acked, inFlight, stop), "incr-" + c);
                    t.start();
                    clients.add(t);
                }
                // long enough for the owner to commit (every second) with changes applied past each commit
                Thread.sleep(6_500);
                a.kill();
                stop.set(true);
                for (Thread t : clients) {
                    t.join(30_000);
                }
                long total = 0;
                for (int i = 0; i < n; i++) {
                    total += acked.get(i);
                }
                assertTrue(total > 1_000, "the load ran: " + total + " INCRs acknowledged");
                a = new ServeProcess("instance", dir.resolve("a"), port, args, List.of()).start();
                a.awaitServing(READ, Duration.ofMinutes(3));
                settle(a.url());
                List<String> wrong = new ArrayList<>();
                try (Jedis j = new Jedis("127.0.0.1", resp, 30_000)) {
                    for (int i = 0; i < n; i++) {
                        String v = j.get(counter(i));
                        long got = v == null ? 0 : Long.parseLong(v);
                        if (got < acked.get(i) || got > acked.get(i) + inFlight.get(i)) {
                            wrong.add(counter(i) + "=" + got + " (acknowledged " + acked.get(i) + ", in flight " + inFlight.get(i) + ")");
                        }
                    }
                    // and the restarted owner goes on counting
                    assertTrue(j.incr(counter(0)) > acked.get(0));
                }
                if (!wrong.isEmpty()) {
                    fail(wrong.size() + " of " + n + " counters differ from their acknowledged INCRs: " + wrong);
                }
            } finally {
                a.close();
            }
        }
    }

    private static String counter(int i) {
        return "c" + i;
    }

    /** One client: INCRs its counters round-robin, one at a time, until its connection is cut. */
    private static void incrementUntilCut(int resp, int client, AtomicLongArray acked, AtomicLongArray inFlight, AtomicBoolean stop) {
        try (Jedis j = new Jedis("127.0.0.1", resp, 10_000)) {
            for (long k = 0; !stop.get(); k++) {
                int i = client * COUNTERS_PER_CLIENT + (int) (k % COUNTERS_PER_CLIENT);
                inFlight.set(i, 1);
                try {
                    j.incr(counter(i));
                } catch (RuntimeException cut) {
                    return; // this INCR may or may not have been written: in flight stays 1
                }
                inFlight.set(i, 0);
                acked.incrementAndGet(i);
            }
        } catch (RuntimeException closed) {
            // closing a dead connection
        }
    }

    private static void settle(String url) throws Exception {
        HttpClient http = HttpClient.newHttpClient();
        long deadline = System.nanoTime() + Duration.ofMinutes(2).toNanos();
        while (System.nanoTime() < deadline) {
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(url + "/v1/settle")).timeout(Duration.ofSeconds(60)).build(),
                    HttpResponse.BodyHandlers.ofString());
            if (r.statusCode() == 200) {
                return;
            }
            Thread.sleep(500);
        }
        fail("the restarted instance did not settle");
    }
}
