package io.pequod.server;

import io.lettuce.core.ClientOptions;
import io.lettuce.core.KeyScanCursor;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.ScanArgs;
import io.lettuce.core.SetArgs;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import io.lettuce.core.protocol.ProtocolVersion;
import io.pequod.embedded.EmbeddedRuntime;
import io.pequod.embedded.Files2;
import io.pequod.views.config.EngineConfig;
import io.pequod.views.spec.JoinSpecParser;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.params.GetExParams;
import redis.clients.jedis.params.ScanParams;
import redis.clients.jedis.params.SetParams;
import redis.clients.jedis.exceptions.JedisDataException;
import redis.clients.jedis.resps.ScanResult;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Redis' string and keyspace commands through the embedded broker, with Jedis, Lettuce and redis-cli:
 * conditional writes applied in log order by the key's owner (racing clients get one winner),
 * ranges and bits, keyspace reads across tables and partitions, connection commands, Redis'
 * number parsing and errors, and FLUSHALL sparing views.
 */
@Timeout(600)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class RedisCommandsIT {
    private static EmbeddedRuntime runtime;
    private static PequodServer server;
    private static Path dir;

    @BeforeAll
    static void start() throws Exception {
        runtime = EmbeddedRuntime.start(null);
        dir = Files.createTempDirectory("pequod-redis-");
        server = startServer();
    }

    private static PequodServer startServer() throws Exception {
        PequodServer s = PequodServer.builder().bootstrapServers(runtime.bootstrapServers()).schemaRegistryUrl(runtime.schemaRegistryUrl())
                .namespace("rc").spec(JoinSpecParser.parse("spec.pq", "n|<user> = count f|<user>|<other> where user:4, other:4\n"))
                .dataDir(dir).httpPort(0).respPort(0).mementoPort(0).partitions(4)
                .config(Map.of(EngineConfig.CREATION_TIMES, true)).build().start();
        assertTrue(s.awaitRunning(Duration.ofMinutes(2)));
        return s;
    }

    @AfterAll
    static void stop() {
        server.close();
        runtime.close();
        Files2.deleteRecursively(dir);
    }

    /** A client that waits as long as a read of a just-created table may (its application starts first). */
    private static Jedis jedis() {
        return new Jedis("127.0.0.1", server.respPort(), 30_000);
    }

    @Test
    @Order(1)
    void shouldApplyConditionalWritesAsTheKeysOwner() {
        try (Jedis j = jedis()) {
            assertEquals(1, j.setnx("nx", "first"));
            assertEquals(0, j.setnx("nx", "second"));
            assertEquals("first", j.get("nx"));
            assertNull(j.set("nx", "third", SetParams.setParams().nx()));
            assertEquals("OK", j.set("nx", "fourth", SetParams.setParams().xx()));
            assertNull(j.set("absent", "x", SetParams.setParams().xx()));
            assertNull(j.get("absent"), "SET XX on an absent key writes nothing");
            assertEquals("fourth", j.setGet("nx", "fifth"));
            assertEquals("fifth", j.getSet("nx", "sixth"));
            assertEquals("sixth", j.getDel("nx"));
            assertNull(j.getDel("nx"));
            assertFalse(j.exists("nx"));
            assertEquals("OK", j.mset("m1", "a", "m2", "b", "t|x", "c"));
            assertEquals(List.of("a", "b", "c"), j.mget("m1", "m2", "t|x"));
        }
    }

    @Test
    @Order(2)
    void shouldGiveEachRacedKeyExactlyOneWinner() throws Exception {
        int keys = 40;
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<List<Long>>> racers = new ArrayList<>();
            for (int r = 0; r < 4; r++) {
                String me = "racer" + r;
                racers.add(pool.submit(() -> {
                    List<Long> won = new ArrayList<>();
                    try (Jedis j = jedis()) {
                        for (int k = 0; k < keys; k++) {
                            won.add(j.setnx("race" + k, me));
                        }
                    }
                    return won;
                }));
            }
            long[] winners = new long[keys];
            for (Future<List<Long>> f : racers) {
                List<Long> won = f.get(2, TimeUnit.MINUTES);
                for (int k = 0; k < keys; k++) {
                    winners[k] += won.get(k);
                }
            }
            for (int k = 0; k < keys; k++) {
                assertEquals(1, winners[k], "one SETNX wins key race" + k);
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    @Order(3)
    void shouldEditRangesAndBitsAndParseNumbersAsRedis() {
        try (Jedis j = jedis()) {
            assertEquals(11, j.setrange("r", 6, "world"));
            assertEquals("\0\0\0\0\0\0world", j.get("r"));
            assertEquals(11, j.setrange("r", 0, "hello "));
            assertEquals("hello world", j.get("r"));
            assertEquals("world", j.getrange("r", -5, -1));
            assertEquals("h", j.getrange("r", 0, -100));
            assertEquals("", j.getrange("r", 20, 30));
            assertEquals(11, j.strlen("r"));
            assertEquals(0, j.setrange("none", 3, ""));
            assertFalse(j.exists("none"), "an empty SETRANGE creates nothing");
            assertFalse(j.setbit("b", 7, true));
            assertTrue(j.setbit("b", 7, false));
            assertTrue(!j.getbit("b", 7) && !j.getbit("b", 100));
            j.setbit("b", 1, true);
            assertEquals("@", j.get("b"));
            assertTrue(j.getbit("b", 1));
            JedisDataException huge = assertThrows(JedisDataException.class, () -> j.setrange("r", Long.MAX_VALUE, "A"));
            assertTrue(huge.getMessage().startsWith("ERR string exceeds maximum allowed size"), huge.getMessage());
            assertEquals("hello world", j.get("r"), "nothing written");

            j.set("sp", " 11");
            assertTrue(assertThrows(JedisDataException.class, () -> j.incr("sp")).getMessage().startsWith("ERR"));
            assertEquals(" 11", j.get("sp"));
            assertEquals("ERR value is not an integer or out of range", assertThrows(JedisDataException.class,
                    () -> j.sendCommand(() -> "INCRBY".getBytes(StandardCharsets.US_ASCII), "c", "+1")).getMessage());
            assertEquals("ERR decrement would overflow",
                    assertThrows(JedisDataException.class, () -> j.decrBy("c", Long.MIN_VALUE)).getMessage());
            assertEquals("ERR increment would produce NaN or Infinity",
                    assertThrows(JedisDataException.class, () -> j.sendCommand(() -> "INCRBYFLOAT".getBytes(StandardCharsets.US_ASCII),
                            "c", "+inf")).getMessage());
            assertEquals(5, j.incrBy("c", 5), "the connection is usable after each error");
        }
    }

    @Test
    @Order(4)
    void shouldReadTheKeyspaceAcrossTablesAndPartitions() {
        try (Jedis j = jedis()) {
            for (int i = 0; i < 30; i++) {
                j.set("ks:" + i, "v");
            }
            j.set("f|0001|0002", "1");
            Set<String> all = new TreeSet<>(j.keys("*"));
            assertTrue(all.contains("ks:7") && all.contains("f|0001|0002") && all.contains("t|x"), all.toString());
            assertTrue(all.stream().noneMatch(k -> k.startsWith("n|")), "view rows are not keys users write: " + all);
            assertEquals(all.size(), j.dbSize());
            assertEquals(22, j.keys("ks:[12]*").size(), "ks:1, ks:10 to ks:19, ks:2, ks:20 to ks:29");
            assertEquals(List.of("ks:17"), j.keys("ks:?7").stream().sorted().limit(1).toList());
        }
    }

    @Test
    @Order(5)
    void shouldScanWithACursorThatAnyCallCanResume() {
        try (Jedis j = jedis()) {
            Set<String> seen = new HashSet<>();
            String cursor = ScanParams.SCAN_POINTER_START;
            int calls = 0;
            do {
                ScanResult<String> page = j.scan(cursor, new ScanParams().match("ks:*").count(7));
                seen.addAll(page.getResult());
                cursor = page.getCursor();
                calls++;
            } while (!cursor.equals("0"));
            assertEquals(30, seen.size());
            assertTrue(calls > 1, "several pages");
            assertEquals("string", j.type("ks:3"));
            assertEquals("none", j.type("nothing"));
            assertTrue(j.randomKey() != null);
            assertEquals(2, j.touch("ks:1", "ks:2", "nothing"));
        }
    }

    @Test
    @Order(6)
    void shouldAnswerTheConnectionCommandsClientsSend() throws Exception {
        try (Jedis j = jedis()) {
            assertEquals("OK", j.clientSetname("reporter"));
            assertEquals("reporter", j.clientGetname());
            assertTrue(j.clientId() > 0);
            assertEquals("OK", j.select(0));
            assertTrue(assertThrows(JedisDataException.class, () -> j.select(1)).getMessage().startsWith("ERR DB index is out of range"));
            Map<String, String> config = j.configGet("databases");
            assertEquals(Map.of("databases", "1"), config);
            List<String> time = j.time();
            assertTrue(Math.abs(Long.parseLong(time.get(0)) - System.currentTimeMillis() / 1000) < 5, time.toString());
            assertTrue(j.commandCount() > 40);
            long keys = j.dbSize();
            try (Jedis other = jedis()) {
                other.ping();
                String info = j.info();
                for (String section : List.of("# Server", "# Clients", "# Memory", "# Persistence", "# Stats", "# Replication", "# CPU",
                        "# Keyspace")) {
                    assertTrue(info.contains(section + "\r\n"), section + " in " + info);
                }
                assertTrue(info.contains("tcp_port:" + server.respPort() + "\r\n"), info);
                String db0 = info.lines().filter(l -> l.startsWith("db0:keys=" + keys + ",expires=")).findFirst()
                        .orElseThrow(() -> new AssertionError("DBSIZE " + keys + " in " + info));
                long expiring = Long.parseLong(db0.substring(db0.indexOf("expires=") + 8));
                j.set("info-ttl", "v", SetParams.setParams().ex(600));
                Thread.sleep(2000); // past the reuse of the last count (ten times its cost)
                assertEquals("db0:keys=" + (keys + 1) + ",expires=" + (expiring + 1), j.info("keyspace").lines()
                        .filter(l -> l.startsWith("db0:")).findFirst().orElse(null), "one more key, with an expiry");
                assertTrue(field(info, "connected_clients") >= 2, info);
                assertTrue(field(info, "used_memory") > 0 && field(info, "total_commands_processed") > 10, info);
            }
            String clients = j.info("clients");
            assertTrue(clients.startsWith("# Clients\r\n") && !clients.contains("# Server"), clients);
        }
        Process p = new ProcessBuilder("redis-cli", "-p", Integer.toString(server.respPort()), "--no-raw", "hello", "2")
                .redirectErrorStream(true).start();
        assertTrue(p.waitFor(30, TimeUnit.SECONDS));
        String hello = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(hello.contains("\"proto\"") && hello.contains("(integer) 2"), hello);
    }

    /** @return an INFO field's number */
    private static long field(String info, String name) {
        return info.lines().filter(l -> l.startsWith(name + ":")).mapToLong(l -> Long.parseLong(l.substring(name.length() + 1).trim()))
                .findFirst().orElseThrow(() -> new AssertionError(name + " not in " + info));
    }

    @Test
    @Order(7)
    void shouldExpireKeysOnReadAtOnceAndEraseThemForViewsAndCounts() throws Exception {
        try (Jedis j = jedis()) {
            assertEquals("OK", j.set("soon", "v", SetParams.setParams().px(1500)));
            assertEquals("OK", j.setex("later", 3600, "v"));
            j.set("f|0005|0006", "1", SetParams.setParams().ex(2));
            j.set("f|0005|0007", "1");
            long pttl = j.pttl("soon");
            assertTrue(pttl > 0 && pttl <= 1500, "pttl " + pttl);
            assertEquals(3600, j.ttl("later"));
            assertEquals(-1, j.ttl("f|0005|0007"));
            assertEquals(-2, j.ttl("nothing"));
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (!"2".equals(j.get("n|0005")) && System.nanoTime() < deadline) {
                Thread.sleep(50);
            }
            assertEquals("2", j.get("n|0005"));
            Thread.sleep(2100);
            assertNull(j.get("soon"), "hidden from reads once its time passed");
            assertEquals(-2, j.ttl("soon"));
            assertFalse(j.keys("*").contains("f|0005|0006"));
            while (!"1".equals(j.get("n|0005")) && System.nanoTime() < deadline) {
                Thread.sleep(50);
            }
            assertEquals("1", j.get("n|0005"), "the view lost the expired row: the owner erased it for real");
            assertEquals(1, j.persist("later"));
            assertEquals(-1, j.ttl("later"));
            assertEquals(1, j.expire("later", 100));
            assertEquals("v", j.getEx("later", new GetExParams().persist()));
            assertEquals(-1, j.ttl("later"));
        }
    }

    @Test
    @Order(8)
    void shouldKeepExpiryAndCreationTimesAcrossARestart() throws Exception {
        long before = System.currentTimeMillis() / 1000;
        List<Object> getp;
        try (Jedis j = jedis()) {
            j.set("kept", "v", SetParams.setParams().ex(600));
            j.set("gone", "v", SetParams.setParams().px(3000));
            j.incr("kept-counter");
            Thread.sleep(1100);
            j.incr("kept-counter"); // a write to a present key keeps its creation time
            getp = getp(j, "kept-counter");
            long created = (Long) getp.get(2);
            assertTrue(created >= before && created <= before + 1, "GETP's creation time " + created + ", written at " + before);
            assertEquals(-1L, getp.get(3), "no expiry");
            long expireAt = (Long) getp(j, "kept").get(3);
            assertTrue(Math.abs(expireAt - (before + 600)) <= 2, "GETP's expire time " + expireAt);
        }
        server.close();
        Thread.sleep(3000);
        server = startServer();
        try (Jedis j = jedis()) {
            long ttl = j.ttl("kept");
            assertTrue(ttl > 500 && ttl <= 600, "ttl after the restart: " + ttl);
            assertNull(j.get("gone"), "expired while the server was down");
            assertEquals(getp, getp(j, "kept-counter"), "GETP after the restart");
        }
        try (Socket m = new Socket("127.0.0.1", server.mementoPort())) {
            m.getOutputStream().write("GETP kept-counter\r\n".getBytes(StandardCharsets.US_ASCII));
            BufferedReader in = new BufferedReader(new InputStreamReader(m.getInputStream(), StandardCharsets.UTF_8));
            assertEquals(List.of("key: kept-counter", "value: 2", "creation_time: " + getp.get(2), "expire_time: -1"),
                    List.of(in.readLine(), in.readLine(), in.readLine(), in.readLine()), "memento's GETP");
        }
    }

    /** @return GETP's answer: key, value, creation and expire time (seconds, -1 for none), decoded */
    @SuppressWarnings("unchecked")
    private static List<Object> getp(Jedis j, String key) {
        List<Object> r = new ArrayList<>((List<Object>) j.sendCommand(() -> "GETP".getBytes(StandardCharsets.US_ASCII),
                key.getBytes(StandardCharsets.UTF_8)));
        r.set(0, new String((byte[]) r.get(0), StandardCharsets.UTF_8));
        r.set(1, new String((byte[]) r.get(1), StandardCharsets.UTF_8));
        return r;
    }

    @Test
    @Order(9)
    void shouldKeepExpiringRowsOutOfARebuiltView() throws Exception {
        try (Jedis j = jedis()) {
            j.set("f|0009|0001", "1", SetParams.setParams().ex(4));
            j.set("f|0009|0002", "1");
            j.set("f|0009|0003", "1", SetParams.setParams().px(300));
            Thread.sleep(1000); // the third row expired: reads hide it, its tombstone erased it
            server.engine().rebuild("n"); // a new generation re-reads the table from the beginning
            long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
            while (!"2".equals(j.get("n|0009")) && System.nanoTime() < deadline) {
                Thread.sleep(100);
            }
            assertEquals("2", j.get("n|0009"), "the rebuilt view counts the live rows only");
            while (!"1".equals(j.get("n|0009")) && System.nanoTime() < deadline) {
                Thread.sleep(100);
            }
            assertEquals("1", j.get("n|0009"), "and loses the first row when it expires after the rebuild");
        }
    }

    @Test
    @Order(10)
    void shouldFlushWhatUsersWroteAndLeaveViewsToTheirJoins() throws Exception {
        try (Jedis j = jedis()) {
            j.set("f|0003|0004", "1");
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (j.get("n|0003") == null && System.nanoTime() < deadline) {
                Thread.sleep(100);
            }
            assertEquals("1", j.get("n|0003"));
            assertEquals("OK", j.flushAll());
            assertEquals(0, j.dbSize());
            assertEquals(Set.of(), j.keys("*"));
            while ("1".equals(j.get("n|0003")) && System.nanoTime() < deadline) {
                Thread.sleep(100);
            }
            String n = j.get("n|0003");
            assertTrue(n == null || n.equals("0"), "the count view follows its erased source rows: " + n);
        }
    }

    @Test
    @Order(11)
    void shouldRenameCopyAndSetSeveralKeysOnlyIfNoneExists() {
        try (Jedis j = jedis()) {
            j.set("src", "v", SetParams.setParams().ex(600));
            assertEquals("OK", j.rename("src", "t|dst"));
            assertNull(j.get("src"));
            assertEquals("v", j.get("t|dst"));
            assertTrue(j.ttl("t|dst") > 500, "the expiry moves with the value");
            assertTrue(assertThrows(JedisDataException.class, () -> j.rename("src", "x")).getMessage().startsWith("ERR no such key"));
            j.set("a1", "x");
            assertEquals(0, j.renamenx("t|dst", "a1"));
            assertEquals("x", j.get("a1"));
            assertTrue(j.copy("t|dst", "c1", false));
            assertFalse(j.copy("t|dst", "a1", false), "COPY without REPLACE leaves an existing key");
            assertTrue(j.copy("t|dst", "a1", true));
            assertEquals("v", j.get("a1"));
            assertEquals(1, j.msetnx("m3", "1", "t|m4", "2", "m3", "3"));
            assertEquals(List.of("3", "2"), j.mget("m3", "t|m4"));
            assertEquals(0, j.msetnx("m5", "1", "m3", "x"));
            assertNull(j.get("m5"), "none set when one exists");
            j.set("l1", "ohmytext");
            j.set("l2", "mynewtext");
            assertEquals("mytext", j.sendCommand(() -> "LCS".getBytes(StandardCharsets.US_ASCII), "l1", "l2") instanceof byte[] b
                    ? new String(b, StandardCharsets.UTF_8) : null);
            assertEquals(6L, j.sendCommand(() -> "LCS".getBytes(StandardCharsets.US_ASCII), "l1", "l2", "LEN"));
        }
    }

    @Test
    @Order(12)
    void shouldStoreAndServeA64MiBValue() {
        try (Jedis j = jedis()) {
            byte[] big = new byte[64 * 1024 * 1024];
            new Random(7).nextBytes(big);
            assertEquals("OK", j.set("big".getBytes(StandardCharsets.US_ASCII), big));
            assertTrue(Arrays.equals(big, j.get("big".getBytes(StandardCharsets.US_ASCII))), "the same 64 MiB back");
            assertEquals(big.length, j.strlen("big"));
            assertEquals("PONG", j.ping());
        }
    }

    @Test
    @Order(13)
    void shouldServeLettuceInResp2() {
        RedisClient client = RedisClient.create(RedisURI.create("127.0.0.1", server.respPort()));
        client.setOptions(ClientOptions.builder().protocolVersion(ProtocolVersion.RESP2).build());
        try (StatefulRedisConnection<String, String> c = client.connect()) {
            RedisCommands<String, String> r = c.sync();
            assertEquals("OK", r.set("lt", "v", SetArgs.Builder.ex(100)));
            assertTrue(r.ttl("lt") > 90);
            assertEquals(Boolean.FALSE, r.setnx("lt", "w"));
            assertEquals("v", r.getdel("lt"));
            assertEquals(Boolean.TRUE, r.setnx("lt", "w"));
            assertEquals(Boolean.TRUE, r.expire("lt", 50));
            assertEquals(Boolean.TRUE, r.persist("lt"));
            assertEquals(-1L, r.ttl("lt"));
            assertEquals(5L, r.setrange("lt2", 0, "hello"));
            assertEquals("ell", r.getrange("lt2", 1, 3));
            assertTrue(r.keys("lt*").containsAll(List.of("lt", "lt2")));
            KeyScanCursor<String> page = r.scan(ScanArgs.Builder.matches("lt*").limit(1));
            Set<String> seen = new HashSet<>(page.getKeys());
            while (!page.isFinished()) {
                page = r.scan(page, ScanArgs.Builder.matches("lt*").limit(1));
                seen.addAll(page.getKeys());
            }
            assertEquals(Set.of("lt", "lt2"), seen);
        } finally {
            client.shutdown();
        }
    }

    @Test
    @Order(14)
    void shouldServeRedisPy() throws Exception {
        // Debian's python3-redis (4.3.4) under Debian's python; .ci/run installs it
        Path script = Path.of(RedisCommandsIT.class.getResource("/redis_py_client.py").toURI());
        Process p = new ProcessBuilder("/usr/bin/python3", script.toString(), Integer.toString(server.respPort()))
                .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "redis-py finished");
        assertEquals(0, p.exitValue(), out);
        assertTrue(out.contains("redis-py ok"), out);
    }

    @Test
    @Order(15)
    void shouldSpeakResp3AfterHello3() throws Exception {
        RedisClient client = RedisClient.create(RedisURI.create("127.0.0.1", server.respPort()));
        // asked for RESP3, Lettuce opens with HELLO 3 and does not fall back (its default also tries RESP3 first)
        client.setOptions(ClientOptions.builder().protocolVersion(ProtocolVersion.RESP3).build());
        try (StatefulRedisConnection<String, String> c = client.connect()) {
            RedisCommands<String, String> r = c.sync();
            assertEquals("OK", r.set("r3", "v"));
            assertEquals("v", r.get("r3"));
            assertNull(r.get("r3-absent"), "RESP3's null");
            assertEquals(Arrays.asList("v", null), r.mget("r3", "r3-absent").stream().map(kv -> kv.getValueOrElse(null)).toList());
            assertEquals(Map.of("databases", "1"), r.configGet("databases"), "a RESP3 map");
            assertEquals(2L, r.incrby("r3-n", 2));
        } finally {
            client.shutdown();
        }
        Process p = new ProcessBuilder("redis-cli", "-3", "--no-raw", "-p", Integer.toString(server.respPort()), "get", "r3-absent")
                .redirectErrorStream(true).start();
        assertTrue(p.waitFor(30, TimeUnit.SECONDS));
        assertEquals("(nil)", new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim(), "redis-cli -3");
        try (Socket raw = new Socket("127.0.0.1", server.respPort())) {
            raw.getOutputStream().write("HELLO 3\r\nGET r3-absent\r\nHELLO 2\r\nGET r3-absent\r\n".getBytes(StandardCharsets.US_ASCII));
            BufferedReader in = new BufferedReader(new InputStreamReader(raw.getInputStream(), StandardCharsets.US_ASCII));
            assertEquals("%7", in.readLine(), "HELLO 3 answers a map of seven fields");
            skipElements(in, 14);
            assertEquals("_", in.readLine(), "a null in RESP3");
            assertEquals("*14", in.readLine(), "HELLO 2: the flat array");
            skipElements(in, 14);
            assertEquals("$-1", in.readLine(), "a null in RESP2 again");
        }
    }

    /** Reads past n scalar replies (a bulk string's two lines, an integer's or an empty array's one). */
    private static void skipElements(BufferedReader in, int n) throws Exception {
        for (int i = 0; i < n; i++) {
            if (in.readLine().startsWith("$")) {
                in.readLine();
            }
        }
    }
}
