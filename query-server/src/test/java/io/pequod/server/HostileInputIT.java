package io.pequod.server;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.PooledByteBufAllocatorMetric;
import io.netty.util.ResourceLeakDetector;
import io.pequod.embedded.EmbeddedRuntime;
import io.pequod.embedded.Files2;
import io.pequod.schemas.Key;
import io.pequod.views.spec.JoinSpec;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;
import org.slf4j.LoggerFactory;
import redis.clients.jedis.Jedis;

import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.lang.management.ManagementFactory;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Hostile input over the RESP, memento and HTTP ports: random bytes, mutated and truncated frames,
 * huge declared lengths, and thousands of connections opened and dropped. The server must answer a
 * well-behaved client on every port afterwards, and log no internal error. Seeded, so a failure
 * can be replayed.
 */
@Timeout(600)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class HostileInputIT {
    private static final long SEED = 20261201L;
    private static final String[] RESP_FRAMES = {
        "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n", "*2\r\n$3\r\nGET\r\n$1\r\nk\r\n", "*1\r\n$4\r\nPING\r\n",
        "*4\r\n$8\r\nSETRANGE\r\n$1\r\nr\r\n$2\r\n10\r\n$1\r\nx\r\n", "*3\r\n$4\r\nKEYS\r\n$1\r\n*\r\n", "PING\r\n",
    };
    private static final String[] HOSTILE = {
        "$999999999999\r\n", "*99999999999\r\n", "*2147483647\r\n", "*-5\r\n", "$-7\r\n", "*1\r\n$5000000000\r\n",
        "GET " + "x".repeat(70_000) + "\r\n", "\r\n\r\n\r\n", "*1\r\n:1\r\n", "+OK\r\n", "-ERR\r\n",
    };
    private static EmbeddedRuntime runtime;
    private static PequodServer server;
    private static Path dir;
    private static ListAppender<ILoggingEvent> logs;
    private static ResourceLeakDetector.Level leakLevel;

    @BeforeAll
    static void start() throws Exception {
        leakLevel = ResourceLeakDetector.getLevel();
        ResourceLeakDetector.setLevel(ResourceLeakDetector.Level.PARANOID); // every buffer tracked, for the last test
        runtime = EmbeddedRuntime.start(null);
        dir = Files.createTempDirectory("pequod-fuzz-");
        server = PequodServer.builder().bootstrapServers(runtime.bootstrapServers()).schemaRegistryUrl(runtime.schemaRegistryUrl())
                .namespace("fz").spec(JoinSpec.empty()).dataDir(dir).httpPort(0).respPort(0).mementoPort(0).partitions(2)
                .build().start();
        assertTrue(server.awaitRunning(Duration.ofMinutes(2)));
        logs = new ListAppender<>();
        logs.start();
        ((Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME)).addAppender(logs);
    }

    @AfterAll
    static void stop() {
        ((Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME)).detachAppender(logs);
        server.close();
        runtime.close();
        Files2.deleteRecursively(dir);
        ResourceLeakDetector.setLevel(leakLevel);
    }

    @Test
    void shouldSurviveHostileInputOnEveryPortAndStillServe() throws Exception {
        Random rnd = new Random(SEED);
        try (Jedis j = new Jedis("127.0.0.1", server.respPort(), 30_000)) {
            j.set("k", "before"); // the default table exists before the storm
        }
        List<String> httpFrames = List.of("GET /v1/keys/k HTTP/1.1\r\nHost: x\r\n\r\n",
                "PUT /v1/keys/k HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc",
                "POST /v1/keys/n?op=incr HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999999\r\n\r\n1");
        List<String> mementoFrames = List.of("SET k v\r\n", "GET k\r\n", "INC n 5\r\n", "SCAN a z\r\n");
        for (int i = 0; i < 200; i++) {
            send(server.respPort(), payload(rnd, List.of(RESP_FRAMES)));
            send(server.mementoPort(), payload(rnd, mementoFrames));
            send(server.httpPort(), payload(rnd, httpFrames));
        }
        for (String h : HOSTILE) {
            send(server.respPort(), h.getBytes(StandardCharsets.US_ASCII));
            send(server.mementoPort(), h.getBytes(StandardCharsets.US_ASCII));
        }
        List<Socket> dropped = new ArrayList<>();
        for (int i = 0; i < 3000; i++) { // opened and dropped without a word, some left open a while
            int port = i % 3 == 0 ? server.respPort() : i % 3 == 1 ? server.mementoPort() : server.httpPort();
            Socket s = new Socket("127.0.0.1", port);
            if (i % 10 == 0) {
                dropped.add(s);
            } else {
                s.close();
            }
        }
        for (Socket s : dropped) {
            s.close();
        }
        try (Jedis j = new Jedis("127.0.0.1", server.respPort(), 30_000)) {
            assertEquals("PONG", j.ping());
            j.set("after", "fine");
            assertEquals("fine", j.get("after"));
        }
        try (Socket m = new Socket("127.0.0.1", server.mementoPort())) {
            m.getOutputStream().write("GET after\r\n".getBytes(StandardCharsets.US_ASCII));
            assertEquals("fine", new BufferedReader(new InputStreamReader(m.getInputStream(), StandardCharsets.UTF_8)).readLine());
        }
        HttpResponse<String> health = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:"
                + server.httpPort() + "/v1/keys/after")).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, health.statusCode(), health.body());
        List<String> internal = logs.list.stream().filter(e -> e.getLevel().isGreaterOrEqual(Level.WARN))
                .map(ILoggingEvent::getFormattedMessage).filter(m -> m.contains("Internal error") || m.contains("internal error"))
                .toList();
        assertEquals(List.of(), internal, "no internal error logged");
    }

    @Test
    void shouldRefuseAnOversizedValueKeepingTheConnectionAndCloseOnlyAHostileOne() throws Exception {
        try (Jedis good = new Jedis("127.0.0.1", server.respPort()); Socket big = new Socket("127.0.0.1", server.respPort());
             Socket bad = new Socket("127.0.0.1", server.respPort())) {
            good.set("survivor", "yes");
            OutputStream out = big.getOutputStream();
            int size = Key.MAX_VALUE_LENGTH + 2048;
            out.write(("*3\r\n$3\r\nSET\r\n$9\r\noversized\r\n$" + size + "\r\n").getBytes(StandardCharsets.US_ASCII));
            out.write(new byte[size]);
            out.write("\r\n*1\r\n$4\r\nPING\r\n".getBytes(StandardCharsets.US_ASCII));
            out.flush();
            BufferedReader in = new BufferedReader(new InputStreamReader(big.getInputStream(), StandardCharsets.US_ASCII));
            String refused = in.readLine();
            assertTrue(refused.startsWith("-ERR string exceeds maximum allowed size"), refused);
            assertEquals("+PONG", in.readLine(), "the connection stays usable");
            assertEquals(null, good.get("oversized"), "nothing was written");

            bad.getOutputStream().write("*2000000000\r\n".getBytes(StandardCharsets.US_ASCII));
            BufferedReader badIn = new BufferedReader(new InputStreamReader(bad.getInputStream(), StandardCharsets.US_ASCII));
            assertTrue(badIn.readLine().startsWith("-ERR Protocol error: invalid multibulk length"));
            assertEquals(null, badIn.readLine(), "that connection is closed");
            assertEquals("yes", good.get("survivor"), "others are not");
        }
    }

    /**
     * Clients that declare huge values and send little hold only what they sent: memory follows the
     * bytes that arrived, never the lengths announced, and returns once they go. Measured as the heap
     * after a full collection plus what Netty's pooled allocator holds (the front ends' buffers).
     */
    @Test
    void shouldHoldOnlyWhatClientsSentNotWhatTheyDeclare() throws Exception {
        int clients = 40;
        int sent = 256 * 1024;
        int declared = 60_000_000;
        long before = memoryInUse();
        List<Socket> open = new ArrayList<>();
        try {
            byte[] body = new byte[sent];
            for (int i = 0; i < clients; i++) {
                open.add(declare(server.respPort(), "*3\r\n$3\r\nSET\r\n$4\r\nhuge\r\n$" + declared + "\r\n", body));
                open.add(declare(server.httpPort(), "PUT /v1/keys/huge HTTP/1.1\r\nHost: x\r\nContent-Length: " + declared + "\r\n\r\n",
                        body));
                open.add(declare(server.mementoPort(), "SET huge ", body)); // a line that never ends
            }
            Thread.sleep(2000); // let the server read what arrived
            long during = memoryInUse() - before;
            long received = (long) clients * 3 * sent;
            System.out.printf("hostile memory: %d MiB received, %d MiB more in use while open%n", received >> 20, during >> 20);
            assertTrue(during < 4 * received + (96L << 20), "while " + clients * 3 + " clients each declared " + declared
                    + " bytes and sent " + sent + ": " + (during >> 20) + " MiB more in use (the declared total is "
                    + ((long) clients * 3 * declared >> 20) + " MiB)");
        } finally {
            for (Socket s : open) {
                s.close();
            }
        }
        try (Jedis j = new Jedis("127.0.0.1", server.respPort(), 30_000)) {
            assertEquals(null, j.get("huge"), "no partial value was written");
        }
        Thread.sleep(1000); // the server sees the connections close
        long after = memoryInUse() - before;
        System.out.printf("hostile memory: %d MiB more in use once closed%n", after >> 20);
        assertTrue(after < 96L << 20, "once they closed: " + (after >> 20) + " MiB more in use than before");
    }

    /** @return a connection that sent the header and the body and stays open */
    private static Socket declare(int port, String header, byte[] body) throws Exception {
        Socket s = new Socket("127.0.0.1", port);
        s.getOutputStream().write(header.getBytes(StandardCharsets.US_ASCII));
        s.getOutputStream().write(body);
        s.getOutputStream().flush();
        return s;
    }

    /** @return bytes of heap in use after a full collection, plus the bytes Netty's default pooled allocator holds */
    private static long memoryInUse() throws InterruptedException {
        for (int i = 0; i < 3; i++) {
            System.gc();
            Thread.sleep(100);
        }
        PooledByteBufAllocatorMetric netty = PooledByteBufAllocator.DEFAULT.metric();
        return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed() + netty.usedDirectMemory() + netty.usedHeapMemory();
    }

    /**
     * After all of it, no buffer was dropped without being released: Netty's leak detector (every
     * buffer tracked) reports a collected buffer that was never released when buffers are next
     * allocated. A leaked pooled buffer is memory the server never gets back.
     */
    @Test
    @Order(Integer.MAX_VALUE)
    void shouldLeakNoBufferAfterAllOfIt() throws Exception {
        for (int i = 0; i < 3; i++) {
            System.gc();
            Thread.sleep(200);
        }
        try (Jedis j = new Jedis("127.0.0.1", server.respPort(), 30_000)) {
            for (int i = 0; i < 200; i++) { // allocations: the detector reports what it found collected
                j.set("leak-check", "v" + i);
            }
        }
        List<String> leaks = logs.list.stream().map(ILoggingEvent::getFormattedMessage).filter(m -> m.startsWith("LEAK:")).toList();
        assertEquals(List.of(), leaks, "buffers collected without release");
    }

    /** @return random bytes, a mutated frame, a truncated one, or several frames with junk between */
    private static byte[] payload(Random rnd, List<String> frames) {
        byte[] base = frames.get(rnd.nextInt(frames.size())).getBytes(StandardCharsets.US_ASCII);
        switch (rnd.nextInt(4)) {
            case 0: {
                byte[] b = new byte[rnd.nextInt(4096)];
                rnd.nextBytes(b);
                return b;
            }
            case 1: {
                byte[] b = base.clone();
                for (int k = 0; k < 1 + rnd.nextInt(4); k++) {
                    b[rnd.nextInt(b.length)] = (byte) rnd.nextInt(256);
                }
                return b;
            }
            case 2:
                return Arrays.copyOf(base, rnd.nextInt(base.length));
            default: {
                byte[] junk = new byte[rnd.nextInt(64)];
                rnd.nextBytes(junk);
                byte[] out = new byte[base.length * 2 + junk.length];
                System.arraycopy(base, 0, out, 0, base.length);
                System.arraycopy(junk, 0, out, base.length, junk.length);
                System.arraycopy(base, 0, out, base.length + junk.length, base.length);
                return out;
            }
        }
    }

    /** Sends the bytes on a fresh connection, reads what comes until 50 ms pass quietly, and closes. */
    private static void send(int port, byte[] payload) throws Exception {
        try (Socket s = new Socket("127.0.0.1", port)) {
            s.setSoTimeout(50);
            OutputStream out = s.getOutputStream();
            try {
                out.write(payload);
                out.flush();
                InputStream in = s.getInputStream();
                byte[] buf = new byte[8192];
                while (in.read(buf) >= 0) {
                    // drain until the server closes or goes quiet
                }
            } catch (SocketTimeoutException | SocketException quietOrClosed) {
                // the server may close a connection that sent junk, or wait for more: both are fine
            }
        }
    }
}
