package io.pequod.server.resp;

import io.pequod.server.metrics.ProcessStats;
import io.pequod.server.query.QueryException;

import java.lang.management.ManagementFactory;
import java.lang.management.MemoryUsage;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

/**
 * {@code INFO [section ...]}: the sections Redis clients and dashboards read, with this instance's
 * figures. Server (version, port, uptime), Clients (connections open now), Memory (the JVM heap:
 * Pequod's values live in RocksDB and Kafka, so {@code used_memory} is the process's working set,
 * not the data), Persistence (none of Redis's: Kafka keeps every write), Stats (connections and
 * commands since start), Replication (no Redis replicas: Kafka replicates), CPU, and Keyspace
 * ({@code db0:keys=N,expires=E}, across every instance, as {@code DBSIZE} counts: two passes over
 * the users' tables, where Redis keeps both counts, reused for ten times what they cost; no
 * {@code avg_ttl}; the section is empty while
 * the tables cannot be counted or hold nothing, as Redis leaves it empty for no keys).
 */
final class ServerInfo {
    /** The sections in Redis's order; {@code INFO}, {@code INFO default}, {@code all} and {@code everything} give them all. */
    static final List<String> SECTIONS = List.of("server", "clients", "memory", "persistence", "stats", "replication", "cpu", "keyspace");
    private static final long START_MILLIS = System.currentTimeMillis();
    /** How many times its own cost a key count is reused. */
    static final long RECOUNT_FACTOR = 10;

    private final AtomicLong connected = new AtomicLong();
    private final AtomicLong connectionsReceived = new AtomicLong();
    private final AtomicLong commands = new AtomicLong();
    private volatile int port;
    /** The last key count (keys, expiring), when it was taken and how long it took (nanoTime). */
    private long[] counted;
    private long countedAt;
    private long countCost;

    /** @param p the port the RESP front end listens on */
    void port(int p) {
        this.port = p;
    }

    /** A connection opened. */
    void opened() {
        connected.incrementAndGet();
        connectionsReceived.incrementAndGet();
    }

    /** A connection closed. */
    void closed() {
        connected.decrementAndGet();
    }

    /** A command arrived. */
    void command() {
        commands.incrementAndGet();
    }

    /**
     * @param asked the sections asked for, lower case (empty: all)
     * @param keys     counts the keys across the instances (may throw {@link QueryException})
     * @param expiring counts those that have an expiry
     * @return the text, sections separated by a blank line; an unknown section adds nothing, as in Redis
     */
    String render(Set<String> asked, LongSupplier keys, LongSupplier expiring) {
        boolean all = asked.isEmpty() || asked.contains("all") || asked.contains("everything") || asked.contains("default");
        List<String> out = new ArrayList<>();
        for (String s : SECTIONS) {
            if (all || asked.contains(s)) {
                out.add(section(s, keys, expiring));
            }
        }
        return String.join("\r\n", out);
    }

    private String section(String name, LongSupplier keys, LongSupplier expiring) {
        String title = name.equals("cpu") ? "CPU" : Character.toUpperCase(name.charAt(0)) + name.substring(1);
        StringBuilder b = new StringBuilder("# ").append(title).append("\r\n");
        switch (name) {
            case "server" -> server(b);
            case "clients" -> line(b, "connected_clients", connected.get()).append("blocked_clients:0\r\n");
            case "memory" -> memory(b);
            case "persistence" -> b.append("loading:0\r\nrdb_changes_since_last_save:0\r\naof_enabled:0\r\n")
                    .append("pequod_persistence:kafka\r\n");
            case "stats" -> line(line(b, "total_connections_received", connectionsReceived.get()), "total_commands_processed",
                    commands.get());
            case "replication" -> b.append("role:master\r\nconnected_slaves:0\r\n");
            case "cpu" -> {
                ProcessStats p = ProcessStats.now();
                b.append(String.format(Locale.ROOT, "used_cpu_sys:%.6f\r\nused_cpu_user:%.6f\r\n", p.systemMicros() / 1e6,
                        p.userMicros() / 1e6));
            }
            default -> keyspace(b, keys, expiring);
        }
        return b.toString();
    }

    private void server(StringBuilder b) {
        long up = (System.currentTimeMillis() - START_MILLIS) / 1000;
        b.append("redis_version:").append(ConnectionCommands.VERSION).append("\r\nredis_mode:standalone\r\n")
                .append("os:").append(System.getProperty("os.name")).append(' ').append(System.getProperty("os.version")).append(' ')
                .append(System.getProperty("os.arch")).append("\r\narch_bits:64\r\n");
        line(b, "process_id", ProcessHandle.current().pid());
        line(b, "tcp_port", port);
        line(b, "server_time_usec", System.currentTimeMillis() * 1000);
        line(b, "uptime_in_seconds", up);
        line(b, "uptime_in_days", up / 86_400);
        b.append("pequod_mode:kafka\r\njava_version:").append(System.getProperty("java.version")).append("\r\n");
    }

    private static void memory(StringBuilder b) {
        MemoryUsage heap = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage();
        line(b, "used_memory", heap.getUsed());
        b.append("used_memory_human:").append(human(heap.getUsed())).append("\r\n");
        long rss = ProcessStats.now().maxRssMb();
        line(b, "used_memory_peak_rss", rss < 0 ? -1 : rss * 1024 * 1024);
        line(b, "jvm_heap_max", heap.getMax());
        b.append("maxmemory:0\r\nmaxmemory_policy:noeviction\r\nmem_allocator:jvm\r\n");
    }

    /**
     * Counts the keys, or reuses the last count while it is younger than {@value #RECOUNT_FACTOR}
     * times what it cost: a small keyspace is counted afresh each time, while a dashboard polling
     * INFO over millions of keys keeps the instances scanning at most a tenth of the time.
     */
    private synchronized void keyspace(StringBuilder b, LongSupplier keys, LongSupplier expiring) {
        long start = System.nanoTime();
        if (counted == null || start - countedAt > RECOUNT_FACTOR * countCost) {
            try {
                long n = keys.getAsLong();
                counted = new long[] {n, n == 0 ? 0 : expiring.getAsLong()};
            } catch (QueryException notNow) {
                return; // a table is moving: no count rather than a wrong one
            }
            countedAt = System.nanoTime();
            countCost = countedAt - start;
        }
        long n = counted[0];
        long e = counted[1];
        if (n > 0) {
            b.append("db0:keys=").append(n).append(",expires=").append(e).append("\r\n");
        }
    }

    private static StringBuilder line(StringBuilder b, String field, long value) {
        return b.append(field).append(':').append(value).append("\r\n");
    }

    private static String human(long bytes) {
        return bytes >= 1L << 30 ? String.format(Locale.ROOT, "%.2fG", bytes / (double) (1L << 30))
                : String.format(Locale.ROOT, "%.2fM", bytes / (double) (1L << 20));
    }
}
