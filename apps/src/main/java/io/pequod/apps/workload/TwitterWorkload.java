package io.pequod.apps.workload;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.pequod.ingest.Progress;
import io.pequod.server.metrics.ProcessStats;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
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

    /**
     * @param options what to run
     */
    public TwitterWorkload(Options options) {
        this.o = options;
        this.model = new TwitterModel(o.nusers(), o.pactive(), o.seed(), o.graph());
        this.celebrities = o.timelines() == Timelines.CELEBRITY ? model.postersWithMoreFollowersThan(o.celebrity()) : new BitSet();
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
    public Result runInProcess(boolean populate, boolean execute, io.pequod.server.PequodServer server) throws Exception {
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
    public Result runInProcess(Spec joins, boolean populate, boolean execute, io.pequod.server.PequodServer server) throws Exception {
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
        ObjectNode out = JSON.createObjectNode();
        ResourceLog log = new ResourceLog();
        log.start();
        // the server's latency histograms now: the result reports this workload's share of them
        JsonNode statsBefore = apis.get(0).stats(false);
        long initStart = System.nanoTime();
        int installed = joins == null ? 0 : apis.get(0).installJoins(joins.name(), joins.text());
        double initSecs = (System.nanoTime() - initStart) / 1e9;
        List<TwitterModel.Post> backPosts = model.populatePosts(o.popduration());
        long popStart = System.nanoTime();
        if (populate) {
            populate(apis.get(0), backPosts);
        }
        double popSecs = (System.nanoTime() - popStart) / 1e9;

        // The whole operation sequence, generated once: every client walks it and runs its share.
        List<TwitterModel.Op> ops = new ArrayList<>();
        List<TwitterModel.Check> finals = List.of();
        if (execute) {
            for (long i = 0; i < o.duration(); i++) {
                ops.add(model.next());
            }
            finals = model.finalChecks();
        }
        ProcessStats cpu0 = ProcessStats.now();
        long runStart = System.nanoTime();
        List<ClientRun> runs = new ArrayList<>();
        if (execute) {
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
            ExecutorService pool = Executors.newFixedThreadPool(indexes.size(), r -> {
                Thread t = new Thread(r, "twitter-client");
                t.setDaemon(true);
                return t;
            });
            try {
                List<Future<?>> fs = new ArrayList<>();
                for (int k = 0; k < indexes.size(); k++) {
                    ClientRun run = new ClientRun(indexes.get(k), apis.get(Math.min(k, apis.size() - 1)), backPosts, done,
                            k == 0 ? bar : null, board);
                    runs.add(run);
                    List<TwitterModel.Op> allOps = ops;
                    List<TwitterModel.Check> allFinals = finals;
                    fs.add(pool.submit(() -> {
                        run.run(allOps, allFinals);
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
        }
        double runSecs = (System.nanoTime() - runStart) / 1e9;
        ProcessStats cpu1 = ProcessStats.now();
        log.stop();

        long read = 0;
        long nposts = 0;
        long nsubscribes = 0;
        long nchecks = 0;
        long nfull = 0;
        long settles = 0;
        double writeSecs = 0;
        double readSecs = 0;
        double settleSecs = 0;
        for (ClientRun r : runs) {
            read += r.postsRead;
            nposts += r.nposts;
            nsubscribes += r.nsubscribes;
            nchecks += r.nchecks;
            nfull += r.nfull;
            settles += r.settles;
            writeSecs += r.writeNanos / 1e9;
            readSecs += r.readNanos / 1e9;
            settleSecs += r.settleNanos / 1e9;
        }
        long nlogouts = ops.stream().filter(x -> x instanceof TwitterModel.Logout).count();
        out.put("nposts", nposts);
        out.put("nbackposts", populate ? backPosts.size() : 0);
        out.put("nsubscribes", nsubscribes);
        out.put("nchecks", nchecks);
        out.put("nfull", nfull);
        out.put("nposts_read", read);
        out.put("nactive", model.active.length);
        out.put("nlogouts", execute ? nlogouts : 0);
        out.put("user_time", round((cpu1.userMicros() - cpu0.userMicros()) / 1e6));
        out.put("system_time", round((cpu1.systemMicros() - cpu0.systemMicros()) / 1e6));
        out.put("wall_time", round(runSecs));
        out.set("log", log.json());
        ObjectNode latencies = JSON.createObjectNode();
        out.set("server_stats", serverStats(apis.get(0), statsBefore, latencies));
        out.set("write_to_visible_ms", latencies);
        out.put("nsubscriptions_populated", populate ? model.follows.size() : 0);
        out.put("ncelebrities", celebrities.cardinality());
        out.put("nsettles", settles);
        out.put("initialize", joins != null);
        out.put("initialize_joins_added", installed);
        out.put("initialize_wall_time", round(initSecs));
        out.put("populate_wall_time", round(popSecs));
        out.put("populate_writes_per_sec", populate ? Math.round((model.follows.size() + backPosts.size()) / popSecs) : 0);
        out.put("run_ops_per_sec", execute ? Math.round(o.duration() / runSecs) : 0);
        out.put("run_write_time", round(writeSecs));
        out.put("run_read_time", round(readSecs));
        out.put("run_settle_time", round(settleSecs));
        out.put("mode", o.describe());
        out.put("client", apis.get(0).describe());
        out.put("clients", o.clients());
        if (o.clientIndex() != null) {
            out.put("client_index", o.clientIndex());
        }
        out.put("exact", o.exact());
        return new Result(out, read);
    }

    private void populate(TwitterApi api, List<TwitterModel.Post> backPosts) throws Exception {
        long total = model.follows.size() + backPosts.size();
        Progress bar = new Progress(System.err, "twitter: populate", "writes", total, Progress.interactive());
        ArrayDeque<CompletableFuture<Void>> inFlight = new ArrayDeque<>();
        List<String[]> batch = new ArrayList<>(POPULATE_BATCH);
        long n = 0;
        for (int[] f : model.follows) {
            batch.add(new String[] {subscriptionKey(f[0], f[1]), "1"});
            n++;
            if (batch.size() == POPULATE_BATCH) {
                send(api, batch, inFlight);
                batch = new ArrayList<>(POPULATE_BATCH);
                bar.update(n, n);
            }
        }
        for (TwitterModel.Post p : backPosts) {
            batch.add(new String[] {postKey(p.poster(), p.time()), "tweet"});
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

    private String subscriptionKey(int user, int poster) {
        return celebrities.get(poster) ? TwitterModel.cs(user, poster) : TwitterModel.s(user, poster);
    }

    private String postKey(int poster, long time) {
        return celebrities.get(poster) ? TwitterModel.ct(poster, time) : TwitterModel.p(poster, time);
    }

    /** One client: its share of the operations, with its own buffers and counters. */
    private final class ClientRun {
        /** Count requests a client keeps in flight while it builds the next. */
        private static final int CHECKS_IN_FLIGHT = 2;
        private final int index;
        private final TwitterApi api;
        private final AtomicLong done;
        private final Progress bar;
        private final List<TreeSet<Long>> postsBy = new ArrayList<>();
        /** Times of this client's posts sent since the last settle (not known to be visible yet). */
        private final TreeSet<Long> pendingPosts = new TreeSet<>();
        private final Map<Integer, List<Integer>> pendingSubs = new HashMap<>();
        private final List<String[]> writes = new ArrayList<>();
        private final List<TwitterModel.Check> checks = new ArrayList<>();
        private final ArrayDeque<CompletableFuture<Void>> inFlight = new ArrayDeque<>();
        /** Count requests sent and not yet answered, oldest first. */
        private final ArrayDeque<SentChecks> checksInFlight = new ArrayDeque<>();
        /** Checks buffered or in flight, by user: a write must not overtake one it could change. */
        private final Map<Integer, List<TwitterModel.Check>> outstanding = new HashMap<>();
        /** At least the largest end of an outstanding check's window (posts at or after it change none). */
        private long outstandingMaxTo = Long.MIN_VALUE;
        private int outstandingCount;
        private boolean needSettle;
        /** Where this client reports how far its writes are acknowledged, and reads the others'. */
        private final ProgressBoard board;
        /** Every write of this client's operations before this time is acknowledged. */
        private final AtomicLong acked = new AtomicLong(TwitterModel.START);
        /** Writes sent and not yet acknowledged, oldest first, with the time their batch ends at. */
        private final java.util.concurrent.ConcurrentLinkedDeque<SentWrites> unacked = new java.util.concurrent.ConcurrentLinkedDeque<>();
        /** Times of the other clients' posts (of this run) that the last settle may not have covered. */
        private final TreeSet<Long> othersPosts = new TreeSet<>();
        /** The other clients' writes before this time were acknowledged when the last settle began. */
        private long othersSettled = TwitterModel.START;
        /** The largest window end of a buffered check that needs the other clients' writes. */
        private long needOthers = Long.MIN_VALUE;
        /** Writes buffered so far belong to operations before this time. */
        private long frontier = TwitterModel.START;
        long postsRead;
        long nposts;
        long nsubscribes;
        long nchecks;
        long nfull;
        long settles;
        long writeNanos;
        long readNanos;
        long settleNanos;

        private record SentChecks(List<TwitterModel.Check> checks, CompletableFuture<long[]> counts) {
        }

        private record SentWrites(CompletableFuture<Void> done, long upTo) {
        }

        ClientRun(int index, TwitterApi api, List<TwitterModel.Post> backPosts, AtomicLong done, Progress bar,
                  ProgressBoard board) {
            this.board = board;
            this.index = index;
            this.api = api;
            this.done = done;
            this.bar = bar;
            for (int u = 0; u < o.nusers(); u++) {
                postsBy.add(new TreeSet<>());
            }
            backPosts.forEach(p -> postsBy.get(p.poster()).add(p.time()));
        }

        private boolean mine(int user) {
            return user % o.clients() == index;
        }

        void run(List<TwitterModel.Op> ops, List<TwitterModel.Check> finals) throws Exception {
            long i = 0;
            for (TwitterModel.Op op : ops) {
                frontier = TwitterModel.START + i;
                if (op instanceof TwitterModel.Post p) {
                    postsBy.get(p.poster()).add(p.time()); // every client knows every post, to judge its checks
                    if (!mine(p.poster())) {
                        othersPosts.add(p.time());
                    } else {
                        if (p.time() < outstandingMaxTo && anyOutstanding(c -> p.time() >= c.from() && p.time() < c.to())) {
                            drainChecks(); // a check sent or buffered earlier must not see this later post
                        }
                        writes.add(new String[] {postKey(p.poster(), p.time()), "tweet"});
                        pendingPosts.add(p.time());
                        nposts++;
                    }
                } else if (op instanceof TwitterModel.Subscribe s && mine(s.user())) {
                    List<TwitterModel.Check> theirs = outstanding.get(s.user());
                    if (theirs != null && theirs.stream().anyMatch(c -> !postsBy.get(s.poster()).subSet(c.from(), c.to()).isEmpty())) {
                        drainChecks();
                    }
                    writes.add(new String[] {subscriptionKey(s.user(), s.poster()), "1"});
                    pendingSubs.computeIfAbsent(s.user(), x -> new ArrayList<>()).add(s.poster());
                    nsubscribes++;
                } else if (op instanceof TwitterModel.Check c && mine(c.user())) {
                    // A check that a pending write could change waits for the views, but not at once:
                    // it is buffered with the others and one settle precedes the batch. Writes made in
                    // between cannot change it (they would have sent the batch first).
                    Long next = pendingPosts.ceiling(c.from());
                    needSettle |= next != null && next < c.to()
                            || pendingSubs.getOrDefault(c.user(), List.of()).stream()
                            .anyMatch(poster -> !postsBy.get(poster).subSet(c.from(), c.to()).isEmpty());
                    needOthers(c);
                    buffer(c);
                    nchecks++;
                    nfull += c.full() ? 1 : 0;
                }
                frontier = TwitterModel.START + i + 1;
                if (writes.size() >= RUN_WRITE_BATCH) {
                    sendWrites();
                }
                if (checks.size() >= CHECK_BATCH) {
                    sendChecks();
                }
                if (writes.isEmpty() && unacked.isEmpty()) {
                    publish(frontier); // nothing buffered or unacknowledged: every write so far is acknowledged
                }
                board.report(index, acked.get(), false);
                i++;
                if (bar != null && (i & 1023) == 0) {
                    bar.update(i, i);
                }
            }
            sendChecks();
            settle();
            publish(Long.MAX_VALUE); // no more writes from this client: the final checks read up to now + 1
            board.report(index, Long.MAX_VALUE, true);
            for (TwitterModel.Check c : finals) {
                if (!mine(c.user())) {
                    continue;
                }
                needOthers(c);
                buffer(c);
                nchecks++;
                if (checks.size() >= CHECK_BATCH) {
                    sendChecks();
                }
            }
            drainChecks();
        }

        /** Notes that a check must wait for the other clients if their posts in its window may not be visible. */
        private void needOthers(TwitterModel.Check c) {
            long from = Math.max(c.from(), othersSettled);
            if (from < c.to() && !othersPosts.subSet(from, c.to()).isEmpty()) {
                needOthers = Math.max(needOthers, c.to());
                needSettle = true;
            }
        }

        private void publish(long upTo) {
            acked.accumulateAndGet(upTo, Math::max);
        }

        /** Publishes the progress of the oldest acknowledged batches. */
        private void advance() {
            synchronized (unacked) {
                SentWrites w;
                while ((w = unacked.peekFirst()) != null && w.done().isDone()) {
                    unacked.pollFirst();
                    publish(w.upTo());
                }
            }
        }

        private void buffer(TwitterModel.Check c) {
            if (c.to() <= c.from()) {
                return; // an empty window reads nothing
            }
            checks.add(c);
            outstanding.computeIfAbsent(c.user(), x -> new ArrayList<>(2)).add(c);
            outstandingMaxTo = Math.max(outstandingMaxTo, c.to());
            outstandingCount++;
        }

        private boolean anyOutstanding(java.util.function.Predicate<TwitterModel.Check> p) {
            for (List<TwitterModel.Check> l : outstanding.values()) {
                for (TwitterModel.Check c : l) {
                    if (p.test(c)) {
                        return true;
                    }
                }
            }
            return false;
        }

        private void sendWrites() {
            if (writes.isEmpty()) {
                return;
            }
            long t0 = System.nanoTime();
            while (inFlight.size() >= 2) {
                inFlight.poll().join();
            }
            CompletableFuture<Void> f = api.write(new ArrayList<>(writes));
            inFlight.add(f);
            unacked.add(new SentWrites(f, frontier));
            f.whenComplete((v, e) -> advance());
            writes.clear();
            writeNanos += System.nanoTime() - t0;
        }

        /** Sends the buffered writes and waits until the views reflect them. */
        private void settle() throws Exception {
            sendWrites();
            long t0 = System.nanoTime();
            while (!inFlight.isEmpty()) {
                inFlight.poll().join();
            }
            advance();
            publish(frontier); // every write so far is acknowledged
            board.report(index, acked.get(), true);
            long others = board.othersAcked(index);
            if (needOthers != Long.MIN_VALUE && others < needOthers) {
                // Another client's posts in a buffered check's window: wait until its writes up to
                // the window's end are acknowledged (it reports as it goes, and before it waits).
                long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(10);
                while ((others = board.othersAcked(index)) < needOthers) {
                    if (System.nanoTime() > deadline) {
                        throw new IllegalStateException("client " + index + " waited 10 minutes for the other clients' writes up to "
                                + "logical time " + needOthers + " (they reported " + others + "); are all " + o.clients()
                                + " clients running, with the same options?");
                    }
                    Thread.sleep(board.pollMillis());
                }
            }
            api.settle();
            othersSettled = Math.max(othersSettled, others);
            needOthers = Long.MIN_VALUE;
            pendingPosts.clear();
            pendingSubs.clear();
            needSettle = false;
            settles++;
            settleNanos += System.nanoTime() - t0;
        }

        /** Sends the buffered checks (after a settle if one of them needs it), keeping a few batches in flight. */
        private void sendChecks() throws Exception {
            if (checks.isEmpty()) {
                return;
            }
            if (needSettle) {
                settle();
            }
            long t0 = System.nanoTime();
            List<TwitterModel.Check> batch = new ArrayList<>(checks);
            checks.clear();
            if (o.fetch()) {
                for (TwitterModel.Check c : batch) {
                    postsRead += api.fetch(TwitterModel.t(c.user(), c.from()), TwitterModel.t(c.user(), c.to()));
                }
                answered(batch);
            } else {
                while (checksInFlight.size() >= CHECKS_IN_FLIGHT) {
                    collect(checksInFlight.poll());
                }
                List<String[]> ranges = new ArrayList<>(batch.size());
                for (TwitterModel.Check c : batch) {
                    ranges.add(new String[] {TwitterModel.t(c.user(), c.from()), TwitterModel.t(c.user(), c.to())});
                }
                checksInFlight.add(new SentChecks(batch, api.count(ranges)));
            }
            readNanos += System.nanoTime() - t0;
        }

        /** Sends the buffered checks and waits for every answer. */
        private void drainChecks() throws Exception {
            sendChecks();
            long t0 = System.nanoTime();
            while (!checksInFlight.isEmpty()) {
                collect(checksInFlight.poll());
            }
            readNanos += System.nanoTime() - t0;
        }

        private void collect(SentChecks sent) {
            for (long n : sent.counts().join()) {
                postsRead += n;
            }
            answered(sent.checks());
        }

        private void answered(List<TwitterModel.Check> batch) {
            for (TwitterModel.Check c : batch) {
                List<TwitterModel.Check> l = outstanding.get(c.user());
                l.remove(c);
                if (l.isEmpty()) {
                    outstanding.remove(c.user());
                }
            }
            outstandingCount -= batch.size();
            if (outstandingCount == 0) {
                outstandingMaxTo = Long.MIN_VALUE;
            }
        }
    }

    /** Where clients report how far their writes are acknowledged, in logical time, and read each other's. */
    private interface ProgressBoard {
        /** @param upTo every write of the client's operations before this time is acknowledged @param now report it at once */
        void report(int client, long upTo, boolean now) throws Exception;

        /** @return the least progress the other clients reported */
        long othersAcked(int client) throws Exception;

        /** @return how long a waiting client sleeps between reads */
        long pollMillis();
    }

    /** Clients of this process. */
    private static final class LocalBoard implements ProgressBoard {
        private final java.util.concurrent.atomic.AtomicLongArray acked;

        LocalBoard(int clients) {
            acked = new java.util.concurrent.atomic.AtomicLongArray(clients);
            for (int c = 0; c < clients; c++) {
                acked.set(c, TwitterModel.START);
            }
        }

        @Override
        public void report(int client, long upTo, boolean now) {
            acked.accumulateAndGet(client, upTo, Math::max);
        }

        @Override
        public long othersAcked(int client) {
            long min = Long.MAX_VALUE;
            for (int c = 0; c < acked.length(); c++) {
                if (c != client) {
                    min = Math.min(min, acked.get(c));
                }
            }
            return min;
        }

        @Override
        public long pollMillis() {
            return 1;
        }
    }

    /**
     * Client processes ({@code --client I}): progress in the server's keys {@code twprogress|<client>},
     * which the populate phase resets. A client reports every 2,000 ticks and before it waits.
     */
    private static final class ServerBoard implements ProgressBoard {
        private static final long EVERY = 2_000;
        private final TwitterApi api;
        private final int clients;
        private long reported = Long.MIN_VALUE;

        ServerBoard(TwitterApi api, int clients) {
            this.api = api;
            this.clients = clients;
        }

        @Override
        public void report(int client, long upTo, boolean now) throws Exception {
            if (upTo > reported && (now || upTo - reported >= EVERY)) {
                api.write(List.<String[]>of(new String[] {progressKey(client), Long.toString(upTo)})).join();
                reported = upTo;
            }
        }

        @Override
        public long othersAcked(int client) throws Exception {
            long min = Long.MAX_VALUE;
            for (int c = 0; c < clients; c++) {
                if (c != client) {
                    java.util.Optional<String> v = api.get(progressKey(c));
                    min = Math.min(min, v.map(Long::parseLong).orElse(TwitterModel.START));
                }
            }
            return min;
        }

        @Override
        public long pollMillis() {
            return 5;
        }
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
        Map<String, org.HdrHistogram.Histogram> now = new java.util.TreeMap<>();
        Map<String, org.HdrHistogram.Histogram> then = new java.util.TreeMap<>();
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
                    now.computeIfAbsent(e.getKey(), k -> new org.HdrHistogram.Histogram(2)).add(io.pequod.server.metrics.ServerStats.decode(hdr));
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
                    then.computeIfAbsent(e.getKey(), k -> new org.HdrHistogram.Histogram(2)).add(io.pequod.server.metrics.ServerStats.decode(hdr));
                }
            });
        }
        now.forEach((table, h) -> {
            org.HdrHistogram.Histogram earlier = then.get(table);
            if (earlier != null) {
                h.subtract(earlier);
            }
            latencies.set(table, io.pequod.server.metrics.ServerStats.latency(h));
        });
        return a;
    }

    private static double round(double d) {
        return Math.round(d * 1_000_000) / 1_000_000.0;
    }

    /** Per-second samples of this process: max RSS, user and system CPU time, CPU percentage, as Pequod's "log". */
    static final class ResourceLog {
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

    /**
     * The in-memory reference: the same operations on the same seed, each check counted against the
     * state after every earlier write (eager views).
     *
     * @param nusers      users
     * @param duration    ticks
     * @param pactive     fraction of active users
     * @param seed        seed
     * @param popduration ticks of populate posts
     * @return the posts the run must read
     */
    public static long reference(int nusers, long duration, double pactive, long seed, long popduration) {
        return reference(nusers, duration, pactive, seed, popduration, null);
    }

    /**
     * @param graph the follow graph, or {@code null} for Pequod's generated one
     * @return as {@link #reference(int, long, double, long, long)}, over that graph
     */
    public static long reference(int nusers, long duration, double pactive, long seed, long popduration, TwitterModel.Graph graph) {
        TwitterModel m = new TwitterModel(nusers, pactive, seed, graph);
        List<Set<Integer>> following = new ArrayList<>();
        List<TreeSet<Long>> posts = new ArrayList<>();
        for (int u = 0; u < nusers; u++) {
            following.add(new HashSet<>());
            posts.add(new TreeSet<>());
        }
        m.follows.forEach(f -> following.get(f[0]).add(f[1]));
        m.populatePosts(popduration).forEach(p -> posts.get(p.poster()).add(p.time()));
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

    private static long count(TwitterModel.Check c, List<Set<Integer>> following, List<TreeSet<Long>> posts) {
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
