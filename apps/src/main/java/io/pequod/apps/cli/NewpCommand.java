package io.pequod.apps.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.pequod.apps.workload.NewpWorkload;
import io.pequod.server.AllInOne;
import io.pequod.views.spec.JoinSpecParser;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.util.Set;
import java.util.concurrent.Callable;

/** {@code pequod newp}: the Hacker-News-like workload, JSON on stdout. */
@Command(name = "newp", mixinStandardHelpOptions = true,
        description = {"The newp workload (articles, comments, votes; karma, vote counts and article pages by joins)",
                "against a server's HTTP API (default: an embedded all-in-one server with examples/newp.pq).",
                "Ends by checking the views against an in-memory evaluation; exit 4 if they differ."})
final class NewpCommand implements Callable<Integer> {
    @Mixin
    HomeOption home;

    @Option(names = "--server", paramLabel = "URL", description = "A running server started with --joins examples/newp.pq.")
    String server;

    @Option(names = "--articles", defaultValue = "100000", description = "Articles posted first. Default: ${DEFAULT-VALUE}.")
    int articles;

    @Option(names = "--users", defaultValue = "50000", description = "Users. Default: ${DEFAULT-VALUE}.")
    int users;

    @Option(names = "--operations", defaultValue = "1000000", description = "Operations of the run. Default: ${DEFAULT-VALUE}.")
    long operations;

    @Option(names = "--vote-rate", defaultValue = "0.3", description = "Fraction of operations that are votes. Default: ${DEFAULT-VALUE}.")
    double voteRate;

    @Option(names = "--seed", defaultValue = "1", description = "Seed. Default: ${DEFAULT-VALUE}.")
    long seed;

    @Override
    public Integer call() throws Exception {
        if (voteRate < 0 || voteRate > 0.7) {
            throw new PequodCli.UserException("--vote-rate " + voteRate + " is out of range; use 0 to 0.7 (comments, posts and reads take the rest)", 2);
        }
        long wall0 = System.nanoTime();
        AllInOne embedded = null;
        try {
            String url = server;
            if (url == null) {
                embedded = AllInOne.start("newp", JoinSpecParser.parse(home.example("newp.pq")), Set.of("a", "c", "v"));
                url = embedded.url();
            }
            ObjectNode out = new NewpWorkload(url, articles, users, operations, voteRate, seed).run();
            out.put("end_to_end_wall_time", Math.round((System.nanoTime() - wall0) / 1e6) / 1000.0);
            System.out.println(out);
            return out.path("verified").asBoolean() ? 0 : 4;
        } finally {
            if (embedded != null) {
                embedded.close();
            }
        }
    }
}
