package io.pequod.server.cli;

import io.pequod.embedded.EmbeddedRuntime;
import io.pequod.server.PequodServer;
import io.pequod.server.workload.TwitterWorkload;
import io.pequod.views.spec.JoinSpecParser;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Files;
import java.time.Duration;
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

    @Override
    public Integer call() throws Exception {
        long wall0 = System.nanoTime();
        EmbeddedRuntime rt = null;
        PequodServer srv = null;
        try {
            String url = server;
            if (url == null) {
                System.err.println("twitter: starting an embedded broker, registry and Pequod server ...");
                rt = EmbeddedRuntime.start(null);
                srv = PequodServer.builder().bootstrapServers(rt.bootstrapServers()).schemaRegistryUrl(rt.schemaRegistryUrl())
                        .namespace("twitter").spec(JoinSpecParser.parse("twitter.pq",
                                "t|<user>|<time>|<poster> = copy p|<poster>|<time> using s|<user>|<poster> where user:8, time:10, poster:8"))
                        .dataDir(Files.createTempDirectory("pequod-twitter-")).httpPort(0).respPort(-1).build().start();
                srv.awaitRunning(Duration.ofMinutes(2));
                url = "http://127.0.0.1:" + srv.httpPort();
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
            if (srv != null) {
                srv.close();
            }
            if (rt != null) {
                rt.close();
            }
        }
    }
}
