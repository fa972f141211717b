package io.pequod.apps.workload;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.pequod.server.metrics.ProcessStats;



/** Per-second samples of this process: max RSS, user and system CPU time, CPU percentage, as Pequod's "log". */
final class ResourceLog {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final ObjectNode json = JSON.createObjectNode();
    private final ArrayNode rss = json.putArray("mem_max_rss_mb");
    private final ArrayNode utime = json.putArray("utime_us");
    private final ArrayNode stime = json.putArray("stime_us");
    private final ArrayNode cpu = json.putArray("cpu_pct");
    private Thread thread;
    private volatile boolean running = true;

    void start() {
        long t0 = System.nanoTime();
        thread = new Thread(() -> {
            ProcessStats last = ProcessStats.now();
            long lastT = System.nanoTime();
            while (running) {
                try {
                    Thread.sleep(1000);
                } catch (InterruptedException e) {
                    return;
                }
                long now = System.nanoTime();
                ProcessStats c = ProcessStats.now();
                int sec = (int) ((now - t0) / 1_000_000_000L);
                long used = c.userMicros() + c.systemMicros() - last.userMicros() - last.systemMicros();
                synchronized (json) {
                    rss.addArray().add(sec).add(c.maxRssMb());
                    utime.addArray().add(sec).add(c.userMicros());
                    stime.addArray().add(sec).add(c.systemMicros());
                    cpu.addArray().add(sec).add(Math.round(100.0 * used * 1000 / (now - lastT)));
                }
                last = c;
                lastT = now;
            }
        }, "twitter-resource-log");
        thread.setDaemon(true);
        thread.start();
    }

    void stop() {
        running = false;
        thread.interrupt();
    }

    ObjectNode json() {
        synchronized (json) {
            return json.deepCopy();
        }
    }
}
