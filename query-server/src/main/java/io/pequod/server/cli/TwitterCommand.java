package io.pequod.server.cli;

import io.pequod.server.AllInOne;
import io.pequod.server.workload.TwitterWorkload;
import io.pequod.views.spec.JoinSpec;
import io.pequod.views.spec.JoinSpecParser;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.Set;
import java.util.concurrent.Callable;

/** {@code pequod twitter}: Pequod's twitternew workload, JSON on stdout. */
@Command(name = "twitter", mixinStandardHelpOptions = true,
        description = {"Pequod's twitternew workload against a server's HTTP API (default: an embedded all-in-one server).",
                "Prints one JSON object with Pequod's fields; progress on stderr."})
final class TwitterCommand implements Callable<Integer> {
    @Option(names = "--server", paramLabel = "URL", description = "A running server started with --joins examples/twitter.pq.")
    String server;

    @Option(names = "--nusers", defaultValue = "5000", description = "Users. Default: ${DEFAULT-VALUE}.")
    int nusers;

    @Option(names = "--duration", defaultValue = "100000", description = "Ticks of the run loop. Default: ${DEFAULT-VALUE}.")
    long duration;

    @Option(names = "--pactive", defaultValue = "0.7", description = "Fraction of active users. Default: ${DEFAULT-VALUE}.")
    double pactive;

    @Option(names = "--seed", defaultValue = "1", description = "Seed. Default: ${DEFAULT-VALUE}.")
    long seed;

    @Option(names = "--fetch", description = "Scan timelines instead of counting them.")
    boolean fetch;

    @Option(names = "--no-populate", description = "Do not write the follow graph (it is there already).")
    boolean noPopulate;

    @Option(names = "--no-execute", description = "Only populate.")
    boolean noExecute;

    @Option(names = "--in-flight", defaultValue = "64", description = "Requests in flight. Default: ${DEFAULT-VALUE}.")
    int inFlight;

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
        if (backend.equals("redis") || push) {
            return pushMode(wall0);
        }
        if (!backend.equals("pequod")) {
            throw new PequodCli.UserException("unknown backend '" + backend + "'; use pequod or redis", 2);
        }
        AllInOne embedded = null;
        try {
            String url = server;
            if (url == null) {
                embedded = AllInOne.start("twitter", JoinSpecParser.parse(Path.of(System.getProperty("pequod.home", "."), "examples",
                        "twitter.pq")), Set.of());
                url = embedded.url();
            }
            TwitterWorkload.Result r = new TwitterWorkload(url, nusers, duration, pactive, seed, fetch, inFlight)
                    .run(!noPopulate, !noExecute);
            r.json().put("end_to_end_wall_time", Math.round((System.nanoTime() - wall0) / 1e6) / 1000.0);
            if (check) {
                long expected = TwitterWorkload.reference(nusers, duration, pactive, seed);
                r.json().put("reference_nposts_read", expected);
                if (expected != r.postsRead()) {
                    System.out.println(r.json());
                    System.err.println("twitter: nposts_read " + r.postsRead() + " differs from the reference " + expected);
                    return 4;
                }
            }
            System.out.println(r.json());
            return 0;
        } finally {
            if (embedded != null) {
                embedded.close();
            }
        }
    }

    private Integer pushMode(long wall0) throws Exception {
        AllInOne embedded = null;
        try {
            io.pequod.server.workload.PushRun run = new io.pequod.server.workload.PushRun(nusers, duration, pactive, seed);
            com.fasterxml.jackson.databind.node.ObjectNode out;
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
