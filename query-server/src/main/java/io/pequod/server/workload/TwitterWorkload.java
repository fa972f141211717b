package io.pequod.server.workload;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.pequod.ingest.Progress;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Runs {@link TwitterModel} against a Pequod server over its HTTP API, as a remote client would:
 * populate the follow graph, run the loop (posts and subscriptions are writes; checks count or
 * scan the user's timeline window), then a final check of every logged-in user. Requests are
 * pipelined (bounded in flight); before a check whose window reaches past what has settled, and
 * before the final checks, the client waits for the views to reflect every earlier write
 * ({@code GET /v1/settle}), so counts are exact and reproducible. Prints Pequod's JSON fields.
 */
public final class TwitterWorkload {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int BATCH = 20_000;
    private static final int CHECK_BATCH = 500;

    private final String server;
    private final int nusers;
    private final long duration;
    private final double pactive;
    private final long seed;
    private final boolean fetch;
    private final int inFlight;
    private final WorkloadHttp web;
    private final HttpClient http;
    private final Semaphore window;
    private final AtomicLong postsRead = new AtomicLong();
    private final AtomicLong errors = new AtomicLong();
    private volatile String firstError;

    /**
     * @param server   the server's URL
     * @param nusers   users
     * @param duration ticks of the run loop
     * @param pactive  fraction of active users
     * @param seed     seed
     * @param fetch    scan timelines instead of counting
     * @param inFlight requests in flight at most
     */
    public TwitterWorkload(String server, int nusers, long duration, double pactive, long seed, boolean fetch, int inFlight) {
        this.server = server;
        this.web = new WorkloadHttp(server);
        this.http = web.client();
        this.nusers = nusers;
        this.duration = duration;
        this.pactive = pactive;
        this.seed = seed;
        this.fetch = fetch;
        this.inFlight = inFlight;
        this.window = new Semaphore(inFlight);
    }

    /** What a run did. */
    public record Result(ObjectNode json, long postsRead) {
    }

    /**
     * @param populate whether to write the follow graph
     * @param execute  whether to run the loop
     * @return the JSON result
     * @throws Exception if the server fails
     */
    public Result run(boolean populate, boolean execute) throws Exception {
        TwitterModel model = new TwitterModel(nusers, pactive, seed);
        ObjectNode out = JSON.createObjectNode();
        ResourceLog log = new ResourceLog();
        log.start();
        long popStart = System.nanoTime();
        if (populate) {
            Progress bar = new Progress(System.err, "twitter: populate", "subscriptions", model.follows.size(), Progress.interactive());
            long n = 0;
            List<String> lines = new ArrayList<>();
            for (int[] f : model.follows) {
                lines.add(WorkloadHttp.line(TwitterModel.s(f[0], f[1]), "1"));
                if (lines.size() == BATCH) {
                    web.batch(lines);
                }
                bar.update(++n, n);
            }
            web.batch(lines);
            bar.finish(n, n);
            web.settle(120_000);
        }
        double popSecs = (System.nanoTime() - popStart) / 1e9;
        long nposts = 0;
        long nsubscribes = 0;
        long nchecks = 0;
        long nfull = 0;
        long nlogouts = 0;
        long settles = 0;
        List<TwitterModel.Post> pendingPosts = new ArrayList<>();
        java.util.Map<Integer, List<Integer>> pendingSubs = new java.util.HashMap<>();
        List<java.util.TreeSet<Long>> postsBy = new ArrayList<>();
        for (int u = 0; u < nusers; u++) {
            postsBy.add(new java.util.TreeSet<>());
        }
        long cpu0 = cpuNanos();
        long runStart = System.nanoTime();
        if (execute) {
            // Writes not yet known to be visible (pendingPosts, pendingSubs): a check waits for the
            // views (settle) only when one of them could change its count, and a buffered check is
            // sent before a later write that could change it, so every count equals the eager reference.
            Progress bar = new Progress(System.err, "twitter: run", "ops", duration, Progress.interactive());
            List<String> writes = new ArrayList<>();
            List<TwitterModel.Check> checks = new ArrayList<>();
            for (long i = 0; i < duration; i++) {
                TwitterModel.Op op = model.next();
                if (op instanceof TwitterModel.Post p) {
                    if (checks.stream().anyMatch(c -> p.time() >= c.from() && p.time() < c.to())) {
                        counts(checks); // a buffered check must not see this later post
                    }
                    writes.add(WorkloadHttp.line(TwitterModel.p(p.poster(), p.time()), "tweet"));
                    pendingPosts.add(p);
                    postsBy.get(p.poster()).add(p.time());
                    nposts++;
                } else if (op instanceof TwitterModel.Subscribe s) {
                    if (checks.stream().anyMatch(c -> c.user() == s.user()
                            && !postsBy.get(s.poster()).subSet(c.from(), c.to()).isEmpty())) {
                        counts(checks);
                    }
                    writes.add(WorkloadHttp.line(TwitterModel.s(s.user(), s.poster()), "1"));
                    pendingSubs.computeIfAbsent(s.user(), x -> new ArrayList<>()).add(s.poster());
                    nsubscribes++;
                } else if (op instanceof TwitterModel.Logout) {
                    nlogouts++;
                } else if (op instanceof TwitterModel.Check c) {
                    boolean affected = pendingPosts.stream().anyMatch(x -> x.time() >= c.from() && x.time() < c.to())
                            || pendingSubs.getOrDefault(c.user(), List.of()).stream()
                            .anyMatch(poster -> !postsBy.get(poster).subSet(c.from(), c.to()).isEmpty());
                    if (affected) {
                        counts(checks);
                        web.batch(writes);
                        web.settle(120_000);
                        pendingPosts.clear();
                        pendingSubs.clear();
                        settles++;
                    }
                    if (c.to() > c.from()) {
                        checks.add(c);
                    }
                    nchecks++;
                    nfull += c.full() ? 1 : 0;
                }
                if (writes.size() >= BATCH) {
                    web.batch(writes);
                }
                if (checks.size() >= CHECK_BATCH) {
                    counts(checks);
                }
                bar.update(i, i);
            }
            counts(checks);
            web.batch(writes);
            web.settle(120_000);
            for (TwitterModel.Check c : model.finalChecks()) {
                if (c.to() > c.from()) {
                    checks.add(c);
                }
                nchecks++;
                if (checks.size() >= CHECK_BATCH) {
                    counts(checks);
                }
            }
            counts(checks);
            bar.finish(duration, duration);
        }
        double runSecs = (System.nanoTime() - runStart) / 1e9;
        double cpuSecs = (cpuNanos() - cpu0) / 1e9;
        log.stop();
        if (errors.get() > 0) {
            throw new IllegalStateException(errors.get() + " requests failed; first: " + firstError);
        }
        out.put("nposts", nposts);
        out.put("nbackposts", 0);
        out.put("nsubscribes", nsubscribes);
        out.put("nchecks", nchecks);
        out.put("nfull", nfull);
        out.put("nposts_read", postsRead.get());
        out.put("nactive", model.active.length);
        out.put("nlogouts", nlogouts);
        out.put("nsubscriptions_populated", populate ? model.follows.size() : 0);
        out.put("nsettles", settles);
        out.put("user_time", round(cpuSecs));
        out.put("system_time", 0);
        out.put("wall_time", round(runSecs));
        out.put("populate_wall_time", round(popSecs));
        out.put("populate_writes_per_sec", populate ? Math.round(model.follows.size() / popSecs) : 0);
        out.put("run_ops_per_sec", execute ? Math.round(duration / runSecs) : 0);
        out.put("mode", fetch ? "pequod fetch (scan)" : "pequod count");
        out.put("client", "http " + server);
        out.set("log", log.json());
        out.set("server_stats", serverStats());
        return new Result(out, postsRead.get());
    }

    private ArrayNode serverStats() throws IOException, InterruptedException {
        ArrayNode a = JSON.createArrayNode();
        ObjectNode s = a.addObject();
        s.put("server", server);
        JsonNode health = JSON.readTree(web.send("GET", "/health", null).body());
        s.set("store_lag", health.path("store_lag"));
        s.put("dead_letters", health.path("dead_letters").asLong());
        ArrayNode tables = s.putArray("tables");
        for (String t : new String[] {"p", "s", "t"}) {
            JsonNode c = JSON.readTree(web.send("GET", "/v1/count?first=" + WorkloadHttp.enc(t + "|") + "&last=" + WorkloadHttp.enc(t + "}"), null).body());
            tables.addObject().put("name", t).put("store_size", c.path("count").asLong());
        }
        return a;
    }



    /** Counts (or scans) buffered checks, in one request for counts. */
    private void counts(List<TwitterModel.Check> checks) throws IOException, InterruptedException {
        if (checks.isEmpty()) {
            return;
        }
        if (fetch) {
            for (TwitterModel.Check c : checks) {
                check(c);
            }
            drain();
        } else {
            ArrayNode ranges = JSON.createArrayNode();
            for (TwitterModel.Check c : checks) {
                ranges.addObject().put("first", TwitterModel.t(c.user(), c.from())).put("last", TwitterModel.t(c.user(), c.to()));
            }
            HttpResponse<String> r = web.send("POST", "/v1/counts", ranges.toString());
            if (r.statusCode() != 200) {
                throw new IllegalStateException("counts failed: " + r.body());
            }
            for (JsonNode n : JSON.readTree(r.body()).path("counts")) {
                postsRead.addAndGet(n.asLong());
            }
        }
        checks.clear();
    }

    private void check(TwitterModel.Check c) throws InterruptedException {
        if (c.to() <= c.from()) {
            return;
        }
        String first = TwitterModel.t(c.user(), c.from());
        String last = TwitterModel.t(c.user(), c.to());
        if (fetch) {
            scanAll(first, last);
        } else {
            async("GET", "/v1/count?first=" + WorkloadHttp.enc(first) + "&last=" + WorkloadHttp.enc(last), null,
                    body -> postsRead.addAndGet(JSON.readTree(body).path("count").asLong()));
        }
    }

    private void scanAll(String first, String last) throws InterruptedException {
        async("GET", "/v1/scan?first=" + WorkloadHttp.enc(first) + "&last=" + WorkloadHttp.enc(last) + "&limit=10000", null, body -> {
            JsonNode n = JSON.readTree(body);
            postsRead.addAndGet(n.path("entries").size());
            if (n.path("more").asBoolean()) {
                JsonNode lastEntry = n.path("entries").get(n.path("entries").size() - 1);
                CompletableFuture.runAsync(() -> {
                    try {
                        scanAll(lastEntry.path("key").asText() + "\0", last);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                });
            }
        });
    }

    private void put(String key, String value) throws InterruptedException {
        async("PUT", "/v1/keys/" + WorkloadHttp.enc(key), value, body -> { });
    }

    private interface BodyHandler {
        void accept(String body) throws IOException;
    }

    private void async(String method, String path, String body, BodyHandler then) throws InterruptedException {
        window.acquire();
        http.sendAsync(web.request(method, path, body), HttpResponse.BodyHandlers.ofString()).whenComplete((r, e) -> {
            try {
                if (e != null || r.statusCode() != 200) {
                    errors.incrementAndGet();
                    if (firstError == null) {
                        firstError = method + " " + path + ": " + (e != null ? e.toString() : r.statusCode() + " " + r.body());
                    }
                } else {
                    then.accept(r.body());
                }
            } catch (IOException x) {
                errors.incrementAndGet();
            } finally {
                window.release();
            }
        });
    }

    private void drain() throws InterruptedException {
        window.acquire(inFlight);
        window.release(inFlight);
    }





    private static long cpuNanos() {
        return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean()).getProcessCpuTime();
    }

    private static double round(double d) {
        return Math.round(d * 1_000_000) / 1_000_000.0;
    }

    /** Per-second samples of this process: max RSS, CPU time and CPU percentage, as Pequod's "log". */
    static final class ResourceLog {
        private final ObjectNode json = JSON.createObjectNode();
        private final ArrayNode rss = json.putArray("mem_max_rss_mb");
        private final ArrayNode utime = json.putArray("utime_us");
        private final ArrayNode cpu = json.putArray("cpu_pct");
        private Thread thread;
        private volatile boolean running = true;

        void start() {
            long t0 = System.nanoTime();
            thread = new Thread(() -> {
                long lastCpu = cpuNanos();
                long lastT = System.nanoTime();
                while (running) {
                    try {
                        Thread.sleep(1000);
                    } catch (InterruptedException e) {
                        return;
                    }
                    long now = System.nanoTime();
                    long c = cpuNanos();
                    int sec = (int) ((now - t0) / 1_000_000_000L);
                    synchronized (json) {
                        rss.addArray().add(sec).add(maxRssMb());
                        utime.addArray().add(sec).add(c / 1000);
                        cpu.addArray().add(sec).add(Math.round(100.0 * (c - lastCpu) / (now - lastT)));
                    }
                    lastCpu = c;
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

        static long maxRssMb() {
            try {
                for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                    if (line.startsWith("VmHWM:")) {
                        return Long.parseLong(line.replaceAll("[^0-9]", "")) / 1024;
                    }
                }
            } catch (IOException | NumberFormatException e) {
                return -1;
            }
            return -1;
        }
    }

    /**
     * The in-memory reference: the same operations on the same seed, each check counted against the
     * state after every earlier write (eager views).
     *
     * @return the posts the run must read
     */
    public static long reference(int nusers, long duration, double pactive, long seed) {
        TwitterModel m = new TwitterModel(nusers, pactive, seed);
        List<java.util.Set<Integer>> following = new ArrayList<>();
        List<java.util.TreeSet<Long>> posts = new ArrayList<>();
        for (int u = 0; u < nusers; u++) {
            following.add(new java.util.HashSet<>());
            posts.add(new java.util.TreeSet<>());
        }
        m.follows.forEach(f -> following.get(f[0]).add(f[1]));
        long n = 0;
        for (long i = 0; i < duration; i++) {
            TwitterModel.Op op = m.next();
            if (op instanceof TwitterModel.Post p) {
                posts.get(p.poster()).add(p.time());
            } else if (op instanceof TwitterModel.Subscribe s) {
                following.get(s.user()).add(s.poster());
            } else if (op instanceof TwitterModel.Check c) {
                n += count(c, following, posts);
            }
        }
        for (TwitterModel.Check c : m.finalChecks()) {
            n += count(c, following, posts);
        }
        return n;
    }

    private static long count(TwitterModel.Check c, List<java.util.Set<Integer>> following, List<java.util.TreeSet<Long>> posts) {
        if (c.to() <= c.from()) {
            return 0;
        }
        long n = 0;
        for (int p : following.get(c.user())) {
            n += posts.get(p).subSet(c.from(), c.to()).size();
        }
        return n;
    }
}
