package io.pequod.apps.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.pequod.apps.workload.PushRun;
import io.pequod.apps.workload.TwitterModel;
import io.pequod.apps.workload.TwitterReference;
import io.pequod.apps.workload.TwitterWorkload;
import io.pequod.server.AllInOne;
import io.pequod.views.spec.JoinSpec;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.concurrent.Callable;

/** {@code pequod twitter}: Pequod's twitternew workload, JSON on stdout. */
@Command(name = "twitter", mixinStandardHelpOptions = true,
        description = {"Pequod's twitternew workload against a server's HTTP API (default: an embedded all-in-one server).",
                "Prints one JSON object with Pequod's fields; progress on stderr."})
final class TwitterCommand implements Callable<Integer> {
    @Mixin
    HomeOption home;

    @Option(names = "--server", paramLabel = "URL", description = "A running server (the initialize phase installs the joins "
            + "examples/twitter-partial.pq, twitter.pq with --eager, twitter-pull.pq with --pull, celebrity.pq with --celebrity, unless it has them).")
    String server;

    @Option(names = "--initialize", negatable = true, defaultValue = "true", fallbackValue = "true",
            description = "Install the joins first (POST /v1/joins; --no-initialize: the server has them already). Default: on.")
    boolean initialize;

    @Option(names = "--nusers", description = "Users. Default: 5000, or the graph's with --graph.")
    Integer nusersOption;

    @Option(names = "--graph", paramLabel = "FILE", description = "The follow graph instead of Pequod's generated one: the number "
            + "of users on the first line, then 'user follower' pairs, one per line (the follower follows the user).")
    Path graphFile;

    private int nusers;
    private TwitterModel.Graph graph;

    @Option(names = "--duration", defaultValue = "100000", description = "Ticks of the run loop. Default: ${DEFAULT-VALUE}.")
    long duration;

    @Option(names = "--pactive", defaultValue = "0.7", description = "Fraction of active users. Default: ${DEFAULT-VALUE}.")
    double pactive;

    @Option(names = "--seed", defaultValue = "1", description = "Seed. Default: ${DEFAULT-VALUE}.")
    long seed;

    @Option(names = "--fetch", description = "Scan timelines instead of counting them.")
    boolean fetch;

    @Option(names = "--populate", negatable = true, defaultValue = "true", fallbackValue = "true",
            description = "Write the follow graph and the --popduration posts (--no-populate: they are there already). Default: on.")
    boolean populate;

    @Option(names = "--execute", negatable = true, defaultValue = "true", fallbackValue = "true",
            description = "Run the operation loop (--no-execute: only initialize and populate). Default: on.")
    boolean execute;

    @Option(names = "--popduration", defaultValue = "0", description = "Ticks of posts written while populating, before the run "
            + "starts (so that the run's checks read them). Default: ${DEFAULT-VALUE}.")
    long popduration;

    @Option(names = "--pull", description = "Timelines computed at read time (examples/twitter-pull.pq) instead of pushed by the join.")
    boolean pull;

    @Option(names = "--eager", description = "Every timeline materialized and pushed to, read or not (examples/twitter.pq) instead of "
            + "materialized when first read (examples/twitter-partial.pq, the default, as Pequod's twitternew).")
    boolean eager;

    @Option(names = "--cold-reads", paramLabel = "N", defaultValue = "0", description = "After the run, read N timelines of users who never "
            + "logged in, one at a time, and report their latency (cold_reads). Default: ${DEFAULT-VALUE}.")
    int coldReads;

    @Option(names = "--celebrity", paramLabel = "N", description = "Posters with more than N followers are celebrities: their posts "
            + "are pulled at read time, the others' pushed (examples/celebrity.pq).")
    Integer celebrity;

    @Option(names = "--clients", defaultValue = "1", description = "Concurrent clients, each a share of the users (user %% clients); "
            + "they wait for each other's writes where a check needs them, so counts stay exact. Default: ${DEFAULT-VALUE}.")
    int clients;

    @Option(names = "--client", paramLabel = "I", description = "Run only client I of --clients (for several client processes against "
            + "one server, populated with the same --clients; they report their progress to each other through the server).")
    Integer clientIndex;

    @Option(names = "--in-process", description = "Direct calls into the embedded server instead of its HTTP API (no network).")
    boolean inProcess;

    @Option(names = "--check", description = "Also compute the in-memory reference and fail if nposts_read differs.")
    boolean check;

    @Option(names = "--push", description = "Client-managed fan-out into Pequod's base table t (no joins), the classic approach.")
    boolean push;

    @Option(names = "--backend", defaultValue = "pequod", description = "pequod or redis (client-managed timelines in Redis). Default: ${DEFAULT-VALUE}.")
    String backend;

    @Option(names = "--redis", paramLabel = "HOST:PORT", defaultValue = "127.0.0.1:6379", description = "Redis for --backend redis. Default: ${DEFAULT-VALUE}.")
    String redis;

    @Override
    public Integer call() throws Exception {
        long wall0 = System.nanoTime();
        readGraph();
        if (backend.equals("redis") || push) {
            return pushMode(wall0);
        }
        if (!backend.equals("pequod")) {
            throw new PequodCli.UserException("unknown backend '" + backend + "'; use pequod or redis", 2);
        }
        if ((pull ? 1 : 0) + (celebrity != null ? 1 : 0) + (eager ? 1 : 0) > 1) {
            throw new PequodCli.UserException("--pull, --celebrity and --eager are different modes; choose one", 2);
        }
        if (inProcess && server != null) {
            throw new PequodCli.UserException("--in-process calls an embedded server directly; it cannot be used with --server", 2);
        }
        if (check && clientIndex != null && clients > 1) {
            throw new PequodCli.UserException("--check compares every client's reads with the reference; one client "
                    + "process (--client) reads only its share", 2);
        }
        TwitterWorkload.Options options = options();
        String joins = pull ? "twitter-pull.pq" : celebrity != null ? "celebrity.pq" : eager ? "twitter.pq" : "twitter-partial.pq";
        if (!initialize && server == null) {
            throw new PequodCli.UserException("--no-initialize needs --server: the embedded server starts without joins", 2);
        }
        TwitterWorkload.Spec spec = initialize ? new TwitterWorkload.Spec(joins,
                Files.readString(home.example(joins), StandardCharsets.UTF_8)) : null;
        AllInOne embedded = null;
        Thread closing = null;
        try {
            TwitterWorkload workload = new TwitterWorkload(options).coldReads(coldReads);
            TwitterWorkload.Result r;
            if (server == null) {
                embedded = AllInOne.start("twitter", JoinSpec.empty(), Set.of());
                r = inProcess ? workload.runInProcess(spec, populate, execute, embedded.server())
                        : workload.run(spec, populate, execute, embedded.url());
            } else {
                r = workload.run(spec, populate, execute, server);
            }
            r.json().put("joins", "examples/" + joins);
            if (graphFile != null) {
                r.json().put("graph", graphFile.toString());
            }
            r.json().put("end_to_end_wall_time", Math.round((System.nanoTime() - wall0) / 1e6) / 1000.0);
            if (embedded != null) {
                // The embedded runtime stops while the reference is computed and the result printed.
                closing = new Thread(embedded::close, "pequod-stop-embedded");
                embedded = null;
                closing.start();
            }
            return report(r);
        } finally {
            if (embedded != null) {
                embedded.close();
            }
            if (closing != null) {
                closing.join();
            }
        }
    }

    /** Prints the result; with --check, compares it with the reference first. @return the exit code */
    private int report(TwitterWorkload.Result r) {
        if (check) {
            long expected = TwitterReference.reference(nusers, duration, pactive, seed, popduration, graph);
            r.json().put("reference_nposts_read", expected);
            if (expected != r.postsRead()) {
                System.out.println(r.json());
                System.err.println("twitter: nposts_read " + r.postsRead() + " differs from the reference " + expected);
                return 4;
            }
        }
        System.out.println(r.json());
        return 0;
    }

    private TwitterWorkload.Options options() {
        TwitterWorkload.Timelines timelines = pull ? TwitterWorkload.Timelines.PULL
                : celebrity != null ? TwitterWorkload.Timelines.CELEBRITY
                : eager ? TwitterWorkload.Timelines.JOIN : TwitterWorkload.Timelines.PARTIAL;
        try {
            return new TwitterWorkload.Options(nusers, duration, pactive, seed, fetch, popduration, timelines,
                    celebrity == null ? 0 : celebrity, clients, clientIndex, graph);
        } catch (IllegalArgumentException e) {
            throw new PequodCli.UserException(e.getMessage(), 2);
        }
    }

    /** Sets the number of users, reading {@code --graph} if given. */
    private void readGraph() {
        nusers = nusersOption == null ? 5000 : nusersOption;
        if (graphFile == null) {
            return;
        }
        try {
            graph = TwitterModel.Graph.read(graphFile);
        } catch (IOException e) {
            throw new PequodCli.UserException("cannot read graph " + graphFile + ": " + e.getMessage(), 2);
        } catch (IllegalArgumentException e) {
            throw new PequodCli.UserException("bad graph " + e.getMessage(), 2);
        }
        if (nusersOption != null && nusersOption != graph.nusers()) {
            throw new PequodCli.UserException("--nusers " + nusersOption + " differs from the graph's " + graph.nusers()
                    + " users (" + graphFile + "); leave --nusers out", 2);
        }
        nusers = graph.nusers();
    }

    private Integer pushMode(long wall0) throws Exception {
        AllInOne embedded = null;
        try {
            PushRun run = new PushRun(nusers, duration, pactive, seed, popduration, graph);
            ObjectNode out;
            if (backend.equals("redis")) {
                out = run.redis(redis);
            } else {
                String url = server;
                if (url == null) {
                    embedded = AllInOne.start("twitterpush", JoinSpec.empty(), Set.of("t"));
                    url = embedded.url();
                }
                out = run.pequod(url);
            }
            out.put("end_to_end_wall_time", Math.round((System.nanoTime() - wall0) / 1e6) / 1000.0);
            if (graphFile != null) {
                out.put("graph", graphFile.toString());
            }
            if (check) {
                long expected = run.reference();
                out.put("reference_nposts_read", expected);
                if (expected != out.path("nposts_read").asLong()) {
                    System.out.println(out);
                    System.err.println("twitter: nposts_read differs from the reference " + expected);
                    return 4;
                }
            }
            System.out.println(out);
            return 0;
        } finally {
            if (embedded != null) {
                embedded.close();
            }
        }
    }
}
