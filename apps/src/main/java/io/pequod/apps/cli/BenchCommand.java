package io.pequod.apps.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.pequod.apps.bench.BenchReport;
import io.pequod.apps.bench.DslTimeline;
import io.pequod.apps.bench.FreshnessBenchmark;
import io.pequod.apps.bench.JoinBenchmark;
import io.pequod.apps.bench.ServerBenchmarks;
import io.pequod.apps.bench.SourceBenchmark;
import io.pequod.apps.bench.WriteBenchmark;
import io.pequod.apps.chaos.FailoverBenchmark;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

/** {@code pequod bench ...}: benchmarks that print JSON on stdout and progress on stderr. */
@Command(name = "bench", mixinStandardHelpOptions = true, description = "Benchmarks (JSON on stdout).",
        subcommands = {BenchCommand.Write.class, BenchCommand.Sources.class, BenchCommand.Joins.class, BenchCommand.Freshness.class,
                BenchCommand.Redis.class, BenchCommand.Scan.class, BenchCommand.Report.class,
                BenchCommand.Failover.class, BenchCommand.Policy.class})
final class BenchCommand implements Runnable {
    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }

    /** {@code pequod bench write}. */
    @Command(name = "write", mixinStandardHelpOptions = true,
            description = {"ChangeWriter puts vs a plain KafkaProducer sending the same pre-serialized bytes,",
                    "side by side in one run against the embedded broker (or --bootstrap-servers)."})
    static final class Write implements Callable<Integer> {
        @Mixin
        Connection connection;

        @Option(names = "--records", defaultValue = "1000000", description = "Records per measured round. Default: ${DEFAULT-VALUE}.")
        int records;

        @Option(names = "--value-size", defaultValue = "100", description = "Value bytes. Default: ${DEFAULT-VALUE}.")
        int valueSize;

        @Option(names = "--rounds", defaultValue = "3", description = "Measured rounds per contender (alternating). Default: ${DEFAULT-VALUE}.")
        int rounds;

        @Option(names = "--partitions", defaultValue = "8", description = "Topic partitions. Default: ${DEFAULT-VALUE}.")
        int partitions;

        @Override
        public Integer call() throws Exception {
            WriteBenchmark.Result r = new WriteBenchmark(records, valueSize, rounds, partitions)
                    .run(connection.bootstrapServers, connection.schemaRegistryUrl);
            System.out.println(r.toJson());
            return 0;
        }
    }

    /** {@code pequod bench sources}. */
    @Command(name = "sources", mixinStandardHelpOptions = true,
            description = {"A JSON topic through a declared source into a table, and into a count view over it, against a plain",
                    "KafkaProducer writing the same records, side by side in one run on the embedded broker."})
    static final class Sources implements Callable<Integer> {
        @Option(names = "--records", defaultValue = "400000", description = "Records per round. Default: ${DEFAULT-VALUE}.")
        int records;

        @Option(names = "--rounds", defaultValue = "3", description = "Rounds (each a fresh topic and source). Default: ${DEFAULT-VALUE}.")
        int rounds;

        @Option(names = "--partitions", defaultValue = "8", description = "Source topic partitions. Default: ${DEFAULT-VALUE}.")
        int partitions;

        @Override
        public Integer call() throws Exception {
            System.out.println(new SourceBenchmark(records, rounds, partitions).run());
            return 0;
        }
    }

    /** {@code pequod bench joins}. */
    @Command(name = "joins", mixinStandardHelpOptions = true,
            description = {"Twitter timeline join throughput vs a plain Kafka Streams pass-through of the same records."})
    static final class Joins implements Callable<Integer> {
        @Mixin
        Connection connection;

        @Option(names = "--users", defaultValue = "5000", description = "Users. Default: ${DEFAULT-VALUE}.")
        int users;

        @Option(names = "--follows", defaultValue = "100", description = "Subscriptions per user. Default: ${DEFAULT-VALUE}.")
        int follows;

        @Option(names = "--posts", defaultValue = "50000", description = "Posts. Default: ${DEFAULT-VALUE}.")
        int posts;

        @Mixin
        Baselines baselines;

        @Override
        public Integer call() throws Exception {
            System.out.println(new JoinBenchmark(users, follows, posts, baselines.variants())
                    .withSettings(baselines.settings())
                    .run(connection.bootstrapServers, connection.schemaRegistryUrl));
            return 0;
        }
    }

    /** {@code pequod bench freshness}. */
    @Command(name = "freshness", mixinStandardHelpOptions = true,
            description = {"Time from a post's write acknowledgement to its entry in a follower's timeline store."})
    static final class Freshness implements Callable<Integer> {
        @Option(names = "--users", defaultValue = "1000", description = "Users. Default: ${DEFAULT-VALUE}.")
        int users;

        @Option(names = "--follows", defaultValue = "5", description = "Subscriptions per user (fan-out of each post). Default: ${DEFAULT-VALUE}.")
        int follows;

        @Option(names = "--rate", defaultValue = "1000", description = "Posts per second. Default: ${DEFAULT-VALUE}.")
        int rate;

        @Option(names = "--seconds", defaultValue = "20", description = "Seconds of posting. Default: ${DEFAULT-VALUE}.")
        int seconds;

        @Option(names = "--warmup", defaultValue = "5", description = "Seconds of posting before measuring. Default: ${DEFAULT-VALUE}.")
        int warmup;

        @Option(names = "--trace", description = "Print each post's acknowledgement and visibility times to stderr.")
        boolean trace;

        @Mixin
        Baselines baselines;

        @Override
        public Integer call() throws Exception {
            System.out.println(new FreshnessBenchmark(users, follows, rate, seconds, warmup, trace, baselines.variants())
                    .withSettings(baselines.settings()).run());
            return 0;
        }
    }

    /** {@code pequod bench redis}. */
    @Command(name = "redis", mixinStandardHelpOptions = true,
            description = {"redis-benchmark -t set,get against Pequod's Redis port and a real redis-server, side by side."})
    static final class Redis implements Callable<Integer> {
        @Option(names = "-n", defaultValue = "100000", description = "Requests per test. Default: ${DEFAULT-VALUE}.")
        int requests;

        @Option(names = "-c", defaultValue = "50", description = "Parallel connections. Default: ${DEFAULT-VALUE}.")
        int clients;

        @Option(names = "-P", defaultValue = "1", description = "Requests pipelined per connection (redis-benchmark -P). "
                + "Default: ${DEFAULT-VALUE}.")
        int pipeline;

        @Override
        public Integer call() throws Exception {
            System.out.println(ServerBenchmarks.redis(requests, clients, pipeline));
            return 0;
        }
    }

    /** {@code pequod bench scan}. */
    @Command(name = "scan", mixinStandardHelpOptions = true,
            description = {"HTTP scans of a 50-entry timeline at a fixed rate; latency percentiles."})
    static final class Scan implements Callable<Integer> {
        @Option(names = "--rate", defaultValue = "1000", description = "Scans per second. Default: ${DEFAULT-VALUE}.")
        int rate;

        @Option(names = "--seconds", defaultValue = "20", description = "Measured seconds. Default: ${DEFAULT-VALUE}.")
        int seconds;

        @Option(names = "--instances", defaultValue = "1", description = {"1, or 2: a second server in the same namespace "
                + "takes half the partitions and each scan covers the whole table, asking it too. Default: ${DEFAULT-VALUE}."})
        int instances;

        @Override
        public Integer call() throws Exception {
            System.out.println(ServerBenchmarks.scan(rate, seconds, instances));
            return 0;
        }
    }

    /** {@code pequod bench report}. */
    @Command(name = "report", mixinStandardHelpOptions = true,
            description = {"A short suite (Twitter in three modes at two sizes, newp at two vote rates, writer, freshness);",
                    "writes bench-results/<timestamp>/results.json and index.html with charts, prints a summary."})
    static final class Report implements Callable<Integer> {
        @Option(names = "--sizes", split = ",", defaultValue = "1000,5000", description = "Twitter user counts. Default: ${DEFAULT-VALUE}.")
        int[] sizes;

        @Mixin
        HomeOption home;

        @Override
        public Integer call() throws Exception {
            Path dir = new BenchReport(
                    home.home, sizes).run();
            System.out.println("report: " + dir.resolve("index.html"));
            return 0;
        }
    }

    /** {@code pequod bench policy}. */
    @Command(name = "policy", mixinStandardHelpOptions = true,
            description = {"Pequod's policy experiment: `twitter --check` with partial, eager and pulled timelines at each share of",
                    "active users, side by side (and Pequod's C++ server, hybrid and push, when built), under GNU time.",
                    "JSON on stdout; the JSON and an SVG plot in bench-results/policy-<time>/."})
    static final class Policy implements Callable<Integer> {
        @Option(names = "--pactive", split = ",", defaultValue = "1,10,50,100", description = "Shares of active users, in percent. "
                + "Default: ${DEFAULT-VALUE}.")
        int[] pactive;

        @Option(names = "--nusers", defaultValue = "5000", description = "Users. Default: ${DEFAULT-VALUE}.")
        int nusers;

        @Option(names = "--rounds", defaultValue = "3", description = "Rounds (modes alternate; medians). Default: ${DEFAULT-VALUE}.")
        int rounds;

        @Option(names = "--modes", split = ",", defaultValue = "partial,eager,pull", description = "Of partial, eager, pull. "
                + "Default: ${DEFAULT-VALUE}.")
        List<String> modes;

        @Option(names = "--cold-reads", defaultValue = "200", description = "Timelines never read before, read one at a time after "
                + "each run (their latency). Default: ${DEFAULT-VALUE}.")
        int coldReads;

        @Option(names = "--replot", paramLabel = "POLICY_JSON", description = "Only draw the plot of an earlier run's policy.json again.")
        java.nio.file.Path replot;

        @Mixin
        HomeOption home;

        @Override
        public Integer call() throws Exception {
            if (replot != null) {
                System.out.println(io.pequod.apps.bench.PolicyBenchmark.replot(replot));
                return 0;
            }
            try {
                System.out.println(new io.pequod.apps.bench.PolicyBenchmark(home.home, pactive, nusers, rounds, modes, coldReads).run()
                        .toPrettyString());
            } catch (IllegalArgumentException e) {
                throw new PequodCli.UserException(e.getMessage(), 2);
            }
            return 0;
        }
    }

    /** {@code pequod bench failover}. */
    @Command(name = "failover", mixinStandardHelpOptions = true,
            description = {"Kills `pequod serve` processes under an HTTP writer and reader, restarts, adds and stops them, then",
                    "compares every view with its joins evaluated over the final base tables. JSON on stdout, progress on stderr."})
    static final class Failover implements Callable<Integer> {
        @Option(names = "--scenarios", split = ",", defaultValue = "restart,peer,scale,crash,brokers,install",
                description = "restart (kill -9 of the one embedded instance), peer (kill -9 of one of two), scale (a third joins, "
                        + "one leaves), crash (a halt between a store write and its output), brokers (kill -9 of one of 3 Kafka "
                        + "nodes, replication factor 3), install (a view installed, redefined, and another rebuilt under load; "
                        + "the other views' read gap). Default: ${DEFAULT-VALUE}.")
        List<String> scenarios;

        @Option(names = "--rate", defaultValue = "50", description = "Writes per second. Default: ${DEFAULT-VALUE}.")
        int rate;

        @Option(names = "--seconds", defaultValue = "5", description = "Seconds of load before and after each failure. Default: ${DEFAULT-VALUE}.")
        int seconds;

        @Option(names = "--rounds", defaultValue = "3", description = "Kills in the restart scenario. Default: ${DEFAULT-VALUE}.")
        int rounds;

        @Option(names = "--exactly-once", description = "Run the instances with --exactly-once.")
        boolean exactlyOnce;

        @Option(names = {"-s", "--set"}, paramLabel = "NAME=VALUE", description = "A setting for every instance, as serve's --set "
                + "(e.g. --set streams.group.protocol=streams).")
        List<String> settings = new ArrayList<>();

        @Option(names = "--work-dir", paramLabel = "DIR", description = "Where the instances keep their data and logs. Default: a "
                + "directory pequod-failover in the system's temporary directory.")
        Path workDir;

        @Override
        public Integer call() throws Exception {
            for (String s : scenarios) {
                if (!FailoverBenchmark.SCENARIOS.contains(s)) {
                    throw new PequodCli.UserException("unknown scenario '" + s + "' in --scenarios; use "
                            + String.join(",", FailoverBenchmark.SCENARIOS), 2);
                }
            }
            Path dir = workDir != null ? workDir : Path.of(System.getProperty("java.io.tmpdir"), "pequod-failover");
            FailoverBenchmark bench = new FailoverBenchmark(dir, rate, seconds, rounds, exactlyOnce).withSettings(settings);
            ObjectNode out = new ObjectMapper().createObjectNode();
            ArrayNode results = out.putArray("scenarios");
            boolean exact = true;
            for (String s : scenarios) {
                ObjectNode r = bench.run(s);
                results.add(r);
                exact &= r.path("check").path("lost_writes").asLong() == 0 && r.path("check").path("wrong").asLong() == 0
                        && r.path("check").path("missing").asLong() == 0 && r.path("check").path("extra").asLong() == 0
                        && r.path("fresh_violations").asLong() == 0;
            }
            out.put("exact", exact);
            System.out.println(out.toPrettyString());
            return exact ? 0 : 1;
        }
    }

    /** {@code --baseline} and {@code --set} of the timeline benchmarks. */
    static final class Baselines {
        @Option(names = "--baseline", defaultValue = "none",
                description = "Also measure the same timeline written with the Kafka Streams DSL: dsl (both versions), dsl-tuned, "
                        + "dsl-foreign-key, or none. Default: ${DEFAULT-VALUE}.")
        String baseline;

        @Option(names = {"-s", "--set"}, paramLabel = "NAME=VALUE", description = "An engine setting, as serve's --set "
                + "(e.g. --set streams.producer.linger.ms=1); streams.* apply to the DSL baselines too.")
        List<String> settings = new ArrayList<>();

        /** @return the DSL versions named by {@code --baseline} */
        List<DslTimeline.Variant> variants() {
            return DslTimeline.Variant.named(baseline);
        }

        /** @return the {@code --set} settings by name @throws IllegalArgumentException naming one without {@code =} */
        Map<String, String> settings() {
            Map<String, String> out = new LinkedHashMap<>();
            for (String s : settings) {
                int eq = s.indexOf('=');
                if (eq <= 0) {
                    throw new IllegalArgumentException("--set " + s + ": expected NAME=VALUE");
                }
                out.put(s.substring(0, eq), s.substring(eq + 1));
            }
            return out;
        }
    }
}
