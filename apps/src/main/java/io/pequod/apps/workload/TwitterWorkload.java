package io.pequod.apps.workload;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.pequod.ingest.Progress;
import io.pequod.server.PequodServer;
import io.pequod.server.metrics.ProcessStats;
import io.pequod.server.metrics.ServerStats;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Runs {@link TwitterModel} against Pequod, as Pequod's twitternew did: populate the follow graph
 * (and {@code --popduration} ticks of posts), run the loop (posts and subscriptions are writes;
 * checks count or scan a user's timeline window), then a final check of every logged-in user.
 *
 * <p>Timelines come from the push join of {@code examples/twitter.pq} (default), the pull join
 * of {@code examples/twitter-pull.pq} ({@link Timelines#PULL}: computed at read time), or both
 * ({@link Timelines#CELEBRITY}, {@code examples/celebrity.pq}: posters with more than N followers
 * write {@code ct}/{@code cs}, pulled at read time; the others are pushed).
 *
 * <p>Exactness: a client buffers writes and checks and sends them in batches, keeping a couple of
 * count requests in flight; before sending a batch of checks that one of its not-yet-visible
 * writes could change, it waits for the views ({@code settle}, once per batch); before a write
 * that could change one of its buffered or unanswered checks, it sends the checks and waits for
 * their answers. With one client
 * every count therefore equals the in-memory reference. With several ({@code --clients}), each
 * owns the users with {@code user % clients == index} (their checks and subscriptions, and their
 * posts) and runs concurrently; a check whose window holds another client's posts that may not be
 * visible yet waits until every client's writes up to the window's end are acknowledged (each
 * client publishes how far its writes are, in logical time) and then settles. So counts are exact
 * with any number of clients, in one process or, with {@code --client I}, in several: those report
 * their progress in the server (keys {@code twprogress|<client>}, reset by the populate phase).
 */
public final class TwitterWorkload {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int POPULATE_BATCH = 20_000;
    private static final int RUN_WRITE_BATCH = 1_000;
    private static final int CHECK_BATCH = 500;

    /** Where timelines come from. */
    public enum Timelines {
        /** The push join: every post is copied into its followers' timelines as it happens. */
        JOIN,
        /** The partial join: a timeline is materialized when first read, then pushed to (examples/twitter-partial.pq). */
        PARTIAL,
        /** The pull join: timelines are computed at read time from s and p. */
        PULL,
        /** Celebrities' posts are pulled at read time, everyone else's pushed. */
        CELEBRITY
    }

    /**
     * @param nusers      users
     * @param duration    ticks of the run loop
     * @param pactive     fraction of active users
     * @param seed        seed
     * @param fetch       scan timelines instead of counting them
     * @param popduration ticks of posts written while populating, before the run's start time
     * @param timelines   where timelines come from
     * @param celebrity   with {@link Timelines#CELEBRITY}: more followers than this make a celebrity
     * @param clients     concurrent clients sharing the users
     * @param clientIndex run only this client's share ({@code null}: every client, as threads)
     * @param graph       the follow graph ({@code --graph}), or {@code null} to generate Pequod's
     */
    public record Options(int nusers, long duration, double pactive, long seed, boolean fetch, long popduration,
                          Timelines timelines, int celebrity, int clients, Integer clientIndex, TwitterModel.Graph graph) {
        /** Options with Pequod's generated graph. */
        public Options(int nusers, long duration, double pactive, long seed, boolean fetch, long popduration,
                       Timelines timelines, int celebrity, int clients, Integer clientIndex) {
            this(nusers, duration, pactive, seed, fetch, popduration, timelines, celebrity, clients, clientIndex, null);
        }

        /** Checks the options. */
        public Options {
            if (graph != null && graph.nusers() != nusers) {
                throw new IllegalArgumentException("the graph has " + graph.nusers() + " users, not " + nusers);
            }
            if (nusers < 2) {
                throw new IllegalArgumentException("nusers must be at least 2, got " + nusers);
            }
            if (clients < 1) {
                throw new IllegalArgumentException("clients must be at least 1, got " + clients);
            }
            if (clientIndex != null && (clientIndex < 0 || clientIndex >= clients)) {
                throw new IllegalArgumentException("client index " + clientIndex + " is not in [0, " + clients + ")");
            }
            if (popduration < 0 || duration < 0) {
                throw new IllegalArgumentException("durations cannot be negative");
            }
        }

        /**
         * @return whether counts are reproducible and must equal the reference: always, since
         * clients wait for each other's writes where their checks need them
         */
        public boolean exact() {
            return true;
        }

        String describe() {
            String t = switch (timelines) {
                case JOIN -> "push join";
                case PARTIAL -> "partial join (materialized when first read)";
                case PULL -> "pull join";
                case CELEBRITY -> "celebrity (pull above " + celebrity + " followers)";
            };
            return "pequod " + t + ", " + (fetch ? "fetch (scan)" : "count");
        }
    }

    /** What a run did. */
    public record Result(ObjectNode json, long postsRead) {
    }

    private final Options o;
    private final TwitterModel model;
    private final BitSet celebrities;
    private final TwitterKeys keys;
    private int coldReads;

    /**
     * @param n after the run, read this many timelines of users who never logged in, one at a time,
     *          and report their latency ({@code cold_reads}): with a partial join each is materialized
     *          by that read
     * @return this workload
     */
    public TwitterWorkload coldReads(int n) {
        this.coldReads = n;
        return this;
    }

    /**
     * @param options what to run
     */
    public TwitterWorkload(Options options) {
        this.o = options;
        this.model = new TwitterModel(o.nusers(), o.pactive(), o.seed(), o.graph());
        this.celebrities = o.timelines() == Timelines.CELEBRITY ? model.postersWithMoreFollowersThan(o.celebrity()) : new BitSet();
        this.keys = new TwitterKeys(celebrities);
    }

    /**
     * Runs against a server's HTTP API, one connection pool per client.
     *
     * @param populate whether to write the follow graph and the populate posts
     * @param execute  whether to run the loop
     * @param server   the server's URL
     * @return the JSON result
     * @throws Exception if the server fails
     */
    public Result run(boolean populate, boolean execute, String server) throws Exception {
        return run(null, populate, execute, server);
    }

    /**
     * Runs against a server's HTTP API, one connection pool per client.
     *
     * @param joins    joins to install first (the initialize phase), or {@code null} to skip it
     * @param populate whether to write the follow graph and the populate posts
     * @param execute  whether to run the loop
     * @param server   the server's URL
     * @return the JSON result
     * @throws Exception if the server fails
     */
    public Result run(Spec joins, boolean populate, boolean execute, String server) throws Exception {
        List<TwitterApi> apis = new ArrayList<>();
        for (int c = 0; c < o.clients(); c++) {
            apis.add(new TwitterApi.Http(server));
        }
        return run(joins, populate, execute, apis);
    }

    /**
     * A join spec for the initialize phase.
     *
     * @param name its name (file name), for error positions
     * @param text its text
     */
    public record Spec(String name, String text) {
    }

    /**
     * Runs by direct calls into an embedded server (no network).
     *
     * @param populate whether to write the follow graph and the populate posts
     * @param execute  whether to run the loop
     * @param server   the embedded server
     * @return the JSON result
     * @throws Exception if the server fails
     */
    public Result runInProcess(boolean populate, boolean execute, PequodServer server) throws Exception {
        return runInProcess(null, populate, execute, server);
    }

    /**
     * Runs by direct calls into an embedded server (no network).
     *
     * @param joins    joins to install first (the initialize phase), or {@code null} to skip it
     * @param populate whether to write the follow graph and the populate posts
     * @param execute  whether to run the loop
     * @param server   the embedded server
     * @return the JSON result
     * @throws Exception if the server fails
     */
    public Result runInProcess(Spec joins, boolean populate, boolean execute, PequodServer server) throws Exception {
        return run(joins, populate, execute, List.of(new TwitterApi.InProcess(server)));
    }

    /**
     * @param populate whether to write the follow graph and the populate posts
     * @param execute  whether to run the loop
     * @param apis     one API per client (index order)
     * @return the JSON result
     * @throws Exception if the server fails
     */
    Result run(boolean populate, boolean execute, List<TwitterApi> apis) throws Exception {
        return run(null, populate, execute, apis);
    }

    private Result run(Spec joins, boolean populate, boolean execute, List<TwitterApi> apis) throws Exception {
        ResourceLog log = new ResourceLog();
        log.start();
        // the server's latency histograms now: the result reports this workload's share of them
        JsonNode statsBefore = apis.get(0).stats(false);
        long initStart = System.nanoTime();
        int installed = joins == null ? 0 : apis.get(0).installJoins(joins.name(), joins.text());
        double initSecs = secondsSince(initStart);
        List<TwitterModel.Post> backPosts = model.populatePosts(o.popduration());
        long popStart = System.nanoTime();
        if (populate) {
            populate(apis.get(0), backPosts);
        }
        double popSecs = secondsSince(popStart);
        // The whole operation sequence, generated once: every client walks it and runs its share.
        List<TwitterModel.Op> ops = new ArrayList<>();
        for (long i = 0; execute && i < o.duration(); i++) {
            ops.add(model.next());
        }
        List<TwitterModel.Check> finals = execute ? model.finalChecks() : List.of();
        ProcessStats cpu0 = ProcessStats.now();
        long runStart = System.nanoTime();
        List<ClientRun> runs = execute ? runClients(apis, backPosts, ops, finals) : List.of();
        double runSecs = secondsSince(runStart);
        ProcessStats cpu1 = ProcessStats.now();
        log.stop();
        ObjectNode cold = execute && coldReads > 0 ? coldReads(apis.get(0)) : null;

        ObjectNode out = JSON.createObjectNode();
        long read = putCounts(out, runs, populate ? backPosts.size() : 0, execute ? ops.stream().filter(x -> x instanceof TwitterModel.Logout).count() : 0);
        out.put("user_time", round((cpu1.userMicros() - cpu0.userMicros()) / 1e6));
        out.put("system_time", round((cpu1.systemMicros() - cpu0.systemMicros()) / 1e6));
        out.put("wall_time", round(runSecs));
        out.set("log", log.json());
        ObjectNode latencies = JSON.createObjectNode();
        out.set("server_stats", serverStats(apis.get(0), statsBefore, latencies));
        out.set("write_to_visible_ms", latencies);
        long rows = 0;
        for (JsonNode server : out.path("server_stats")) {
            for (JsonNode t : server.path("tables")) {
                if (t.path("name").asText().equals("t")) {
                    rows += Math.max(0, t.path("store_size").asLong());
                }
            }
        }
        out.put("timeline_rows", rows);
        if (cold != null) {
            out.set("cold_reads", cold);
        }
        out.put("nsubscriptions_populated", populate ? model.follows.size() : 0);
        out.put("ncelebrities", celebrities.cardinality());
        out.put("nsettles", runs.stream().mapToLong(r -> r.settles).sum());
        out.put("initialize", joins != null);
        out.put("initialize_joins_added", installed);
        out.put("initialize_wall_time", round(initSecs));
        out.put("populate_wall_time", round(popSecs));
        out.put("populate_writes_per_sec", populate ? Math.round((model.follows.size() + backPosts.size()) / popSecs) : 0);
        out.put("run_ops_per_sec", execute ? Math.round(o.duration() / runSecs) : 0);
        out.put("run_write_time", round(runs.stream().mapToDouble(r -> r.writeNanos / 1e9).sum()));
        out.put("run_read_time", round(runs.stream().mapToDouble(r -> r.readNanos / 1e9).sum()));
        out.put("run_settle_time", round(runs.stream().mapToDouble(r -> r.settleNanos / 1e9).sum()));
        out.put("mode", o.describe());
        out.put("client", apis.get(0).describe());
        out.put("clients", o.clients());
        if (o.clientIndex() != null) {
            out.put("client_index", o.clientIndex());
        }
        out.put("exact", o.exact());
        return new Result(out, read);
    }

    /** Reads whole timelines of users who never logged in, one at a time. @return their count and latency */
    private ObjectNode coldReads(TwitterApi api) throws Exception {
        BitSet active = new BitSet();
        for (int u : model.active) {
            active.set(u);
        }
        List<Integer> users = new ArrayList<>();
        for (int u = active.nextClearBit(0); u < o.nusers() && users.size() < coldReads; u = active.nextClearBit(u + 1)) {
            users.add(u);
        }
        java.util.Collections.shuffle(users, new java.util.Random(o.seed()));
        double[] ms = new double[users.size()];
        long rows = 0;
        for (int i = 0; i < users.size(); i++) {
            int u = users.get(i);
            long t0 = System.nanoTime();
            rows += api.count(List.<String[]>of(new String[] {TwitterModel.t(u, 0), TwitterModel.t(u, 9_999_999_999L)})).get()[0];
            ms[i] = (System.nanoTime() - t0) / 1e6;
        }
        java.util.Arrays.sort(ms);
        ObjectNode c = JSON.createObjectNode().put("count", ms.length).put("rows", rows);
        if (ms.length > 0) {
            c.put("p50_ms", round(ms[ms.length / 2])).put("p99_ms", round(ms[Math.min(ms.length - 1, (int) Math.ceil(ms.length * 0.99) - 1)]))
                    .put("max_ms", round(ms[ms.length - 1]));
        }
        return c;
    }

    private static double secondsSince(long startNanos) {
        return (System.nanoTime() - startNanos) / 1e9;
    }

    /** Pequod's counters, summed over the clients. @return the posts read */
    private long putCounts(ObjectNode out, List<ClientRun> runs, long backPosts, long logouts) {
        long read = runs.stream().mapToLong(r -> r.postsRead).sum();
        out.put("nposts", runs.stream().mapToLong(r -> r.nposts).sum());
        out.put("nbackposts", backPosts);
        out.put("nsubscribes", runs.stream().mapToLong(r -> r.nsubscribes).sum());
        out.put("nchecks", runs.stream().mapToLong(r -> r.nchecks).sum());
        out.put("nfull", runs.stream().mapToLong(r -> r.nfull).sum());
        out.put("nposts_read", read);
        out.put("nactive", model.active.length);
        out.put("nlogouts", logouts);
        return read;
    }

    /** Runs this process's clients side by side, each its share of the operations. */
    private List<ClientRun> runClients(List<TwitterApi> apis, List<TwitterModel.Post> backPosts, List<TwitterModel.Op> ops,
                                       List<TwitterModel.Check> finals) throws Exception {
        Progress bar = new Progress(System.err, "twitter: run", "ops", o.duration(), Progress.interactive());
        AtomicLong done = new AtomicLong();
        List<Integer> indexes = new ArrayList<>();
        for (int c = 0; c < o.clients(); c++) {
            if (o.clientIndex() == null || o.clientIndex() == c) {
                indexes.add(c);
            }
        }
        // Clients of one process share their progress in memory; client processes through the server.
        ProgressBoard board = o.clientIndex() != null && o.clients() > 1 ? new ServerBoard(apis.get(0), o.clients())
                : new LocalBoard(o.clients());
        List<ClientRun> runs = new ArrayList<>();
        ExecutorService pool = Executors.newFixedThreadPool(indexes.size(), r -> {
            Thread t = new Thread(r, "twitter-client");
            t.setDaemon(true);
            return t;
        });
        try {
            List<Future<?>> fs = new ArrayList<>();
            for (int k = 0; k < indexes.size(); k++) {
                ClientRun run = new ClientRun(o, keys, indexes.get(k), apis.get(Math.min(k, apis.size() - 1)), backPosts, done,
                        k == 0 ? bar : null, board);
                runs.add(run);
                fs.add(pool.submit(() -> {
                    run.run(ops, finals);
                    return null;
                }));
            }
            for (Future<?> f : fs) {
                f.get();
            }
        } finally {
            pool.shutdownNow();
        }
        bar.finish(o.duration(), o.duration());
        return runs;
    }

    private void populate(TwitterApi api, List<TwitterModel.Post> backPosts) throws Exception {
        long total = model.follows.size() + backPosts.size();
        Progress bar = new Progress(System.err, "twitter: populate", "writes", total, Progress.interactive());
        ArrayDeque<CompletableFuture<Void>> inFlight = new ArrayDeque<>();
        List<String[]> batch = new ArrayList<>(POPULATE_BATCH);
        long n = 0;
        for (int[] f : model.follows) {
            batch.add(new String[] {keys.subscription(f[0], f[1]), "1"});
            n++;
            if (batch.size() == POPULATE_BATCH) {
                send(api, batch, inFlight);
                batch = new ArrayList<>(POPULATE_BATCH);
                bar.update(n, n);
            }
        }
        for (TwitterModel.Post p : backPosts) {
            batch.add(new String[] {keys.post(p.poster(), p.time()), "tweet"});
            n++;
            if (batch.size() == POPULATE_BATCH) {
                send(api, batch, inFlight);
                batch = new ArrayList<>(POPULATE_BATCH);
                bar.update(n, n);
            }
        }
        if (o.clients() > 1) {
            // A new run: client processes report their progress from the start again.
            for (int c = 0; c < o.clients(); c++) {
                batch.add(new String[] {progressKey(c), Long.toString(TwitterModel.START)});
            }
        }
        send(api, batch, inFlight);
        while (!inFlight.isEmpty()) {
            inFlight.poll().join();
        }
        bar.finish(n, n);
        System.err.println("twitter: waiting for the views to reflect the populated data ...");
        api.settle();
    }

    /** Sends a batch, keeping at most two in flight so that the next one is built meanwhile. */
    private static void send(TwitterApi api, List<String[]> batch, ArrayDeque<CompletableFuture<Void>> inFlight) {
        if (batch.isEmpty()) {
            return;
        }
        while (inFlight.size() >= 2) {
            inFlight.poll().join();
        }
        inFlight.add(api.write(batch));
    }


    /** @return the key where client processes report their progress */
    static String progressKey(int client) {
        return String.format(Locale.ROOT, "twprogress|%08d", client);
    }

    /**
     * Each instance's statistics; {@code latencies} gets each table's write-to-visible latencies,
     * over all instances, since {@code before}.
     */
    private ArrayNode serverStats(TwitterApi api, JsonNode before, ObjectNode latencies) throws Exception {
        ArrayNode a = JSON.createArrayNode();
        Map<String, org.HdrHistogram.Histogram> now = new TreeMap<>();
        Map<String, org.HdrHistogram.Histogram> then = new TreeMap<>();
        for (JsonNode st : api.stats(true).path("instances")) {
            ObjectNode s = a.addObject();
            s.put("server", st.path("instance").asText(api.describe()));
            ArrayNode tables = s.putArray("tables");
            st.path("tables").properties().forEach(e -> {
                ObjectNode t = tables.addObject().put("name", e.getKey());
                t.setAll((ObjectNode) e.getValue());
                t.remove("visible_latency_hdr");
                String hdr = e.getValue().path("visible_latency_hdr").asText(null);
                if (hdr != null) {
                    now.computeIfAbsent(e.getKey(), k -> new org.HdrHistogram.Histogram(2)).add(ServerStats.decode(hdr));
                }
            });
            s.put("dead_letters", st.path("dead_letters").asLong());
            s.put("server_max_rss_mb", st.path("max_rss_mb").asLong());
            s.put("server_user_time", st.path("user_time").asDouble());
            s.put("server_system_time", st.path("system_time").asDouble());
        }
        for (JsonNode st : before.path("instances")) {
            st.path("tables").properties().forEach(e -> {
                String hdr = e.getValue().path("visible_latency_hdr").asText(null);
                if (hdr != null) {
                    then.computeIfAbsent(e.getKey(), k -> new org.HdrHistogram.Histogram(2)).add(ServerStats.decode(hdr));
                }
            });
        }
        now.forEach((table, h) -> {
            org.HdrHistogram.Histogram earlier = then.get(table);
            if (earlier != null) {
                h.subtract(earlier);
            }
            latencies.set(table, ServerStats.latency(h));
        });
        return a;
    }

    private static double round(double d) {
        return Math.round(d * 1_000_000) / 1_000_000.0;
    }
}
