package io.pequod.apps.chaos;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.pequod.embedded.EmbeddedRuntime;
import io.pequod.embedded.Ports;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/**
 * {@code pequod bench failover}: real {@code pequod serve} processes under an HTTP writer and
 * reader, killed with SIGKILL (or halted by a fault at a chosen point), restarted, added and
 * stopped; every view is then compared with the joins evaluated by hand over the final base
 * tables ({@link ViewCheck}). JSON on stdout (one object per scenario), progress on stderr.
 * <ul>
 * <li>{@code restart}: one instance with the embedded broker; kill -9 and restart, several times:
 * time from the kill to {@code /health} UP and a view read.</li>
 * <li>{@code peer}: two instances on a shared broker; kill -9 of one: the longest time reads
 * through the other went unanswered; then its restart.</li>
 * <li>{@code scale}: two instances; a third joins, then one stops cleanly: the read gaps.</li>
 * <li>{@code crash}: one instance (on a broker in this JVM) halts between a view's store write and
 * its output (a test-only fault), and restarts: the view must still be exact.</li>
 * <li>{@code brokers}: one instance on a cluster of 3 Kafka nodes (each a JVM; replication factor
 * 3, {@code min.insync.replicas} 2) with a registry that keeps its schemas in Kafka; kill -9 of
 * the node that leads the metadata quorum, then its restart; then the registry's restart.</li>
 * </ul>
 */
public final class FailoverBenchmark {
    private static final ObjectMapper JSON = new ObjectMapper();
    /** The scenarios, in the order they run by default. */
    public static final List<String> SCENARIOS = List.of("restart", "peer", "scale", "crash", "brokers", "install");
    /** A read of a view (the timeline's count): an instance serves once it answers this. */
    static final String VIEW_READ = "/v1/count?first=t%7C&last=t%7D";

    private final Path work;
    private final int rate;
    private final int seconds;
    private final int rounds;
    private final boolean exactlyOnce;
    private List<String> settings = List.of();

    /**
     * @param work        a directory for the instances' data (emptied first)
     * @param rate        writes per second
     * @param seconds     seconds of load before and after each failure
     * @param rounds      kills of the restart scenario
     * @param exactlyOnce whether the instances process exactly once
     */
    public FailoverBenchmark(Path work, int rate, int seconds, int rounds, boolean exactlyOnce) {
        this.work = work;
        this.rate = rate;
        this.seconds = seconds;
        this.rounds = rounds;
        this.exactlyOnce = exactlyOnce;
    }

    /**
     * @param nameValues settings given to every instance ({@code serve --set NAME=VALUE})
     * @return this benchmark
     */
    public FailoverBenchmark withSettings(List<String> nameValues) {
        this.settings = List.copyOf(nameValues);
        return this;
    }

    /**
     * @param scenario one of {@link #SCENARIOS}
     * @return its results
     */
    public ObjectNode run(String scenario) throws Exception {
        Path dir = work.resolve(scenario);
        deleteTree(dir);
        Files.createDirectories(dir);
        Files.writeString(dir.resolve("chaos.pq"), ChaosSpec.JOINS);
        progress("%s: in %s (each instance's log: <its dir>/serve.log)", scenario, dir);
        ObjectNode out = JSON.createObjectNode().put("scenario", scenario).put("exactly_once", exactlyOnce).put("rate", rate);
        out.set("settings", JSON.valueToTree(settings));
        switch (scenario) {
            case "restart" -> restart(dir, out, 0, null);
            case "crash" -> {
                try (EmbeddedRuntime rt = EmbeddedRuntime.start(dir.resolve("kafka"), 0, 0)) {
                    restart(dir, out, 40L * rate, rt);
                }
            }
            case "peer" -> peer(dir, out);
            case "scale" -> scale(dir, out);
            case "brokers" -> new ClusterScenario(this, dir, out).run();
            case "install" -> new InstallScenario(this, dir, out).run();
            default -> throw new IllegalArgumentException("unknown scenario " + scenario + "; use " + String.join(", ", SCENARIOS));
        }
        return out;
    }

    /**
     * One instance, killed (or halted by the fault at output {@code haltAt}) and restarted: with
     * the embedded broker in its JVM, or on the broker of {@code rt}.
     */
    private void restart(Path dir, ObjectNode out, long haltAt, EmbeddedRuntime rt) throws Exception {
        int port = Ports.free();
        List<String> args = serveArgs(dir, rt);
        List<String> faulty = haltAt > 0 ? List.of("-Dpequod.fault.halt-before-output=" + haltAt) : List.of();
        ServeProcess a = new ServeProcess("instance", dir.resolve("a"), port, args, faulty).start();
        try (ChaosLoad load = new ChaosLoad(a::url, a::url, rate)) {
            progress(rt == null ? "starting the instance (embedded broker and registry) ..." : "starting the instance ...");
            out.put("first_start_ms", a.awaitServing(VIEW_READ, Duration.ofMinutes(3)));
            load.seed();
            load.start();
            ArrayNode restarts = out.putArray("restart_ms");
            int kills = haltAt > 0 ? 1 : rounds;
            for (int i = 0; i < kills; i++) {
                Thread.sleep(seconds * 1000L);
                if (haltAt > 0) {
                    progress("waiting for the fault to halt it at view output %d ...", haltAt);
                    while (a.alive()) {
                        Thread.sleep(20);
                    }
                } else {
                    progress("kill -9 (%d of %d) ...", i + 1, kills);
                    a.kill();
                }
                long t0 = System.nanoTime();
                a = new ServeProcess("instance", dir.resolve("a"), port, args, List.of()).start();
                a.awaitServing(VIEW_READ, Duration.ofMinutes(3));
                long ms = (System.nanoTime() - t0) / 1_000_000;
                restarts.add(ms);
                progress("serving again %d ms after the %s", ms, haltAt > 0 ? "halt" : "kill");
            }
            Thread.sleep(seconds * 1000L);
            finish(load, a.url(), out);
        } finally {
            a.stop();
        }
    }

    /** Two instances on a broker in this JVM; one is killed, then restarted. */
    private void peer(Path dir, ObjectNode out) throws Exception {
        try (EmbeddedRuntime rt = EmbeddedRuntime.start(dir.resolve("kafka"), 0, 0)) {
            List<String> args = serveArgs(dir, rt);
            ServeProcess a = new ServeProcess("a", dir.resolve("a"), Ports.free(), args, List.of()).start();
            ServeProcess b = new ServeProcess("b", dir.resolve("b"), Ports.free(), args, List.of()).start();
            try (ChaosLoad load = new ChaosLoad(a::url, a::url, rate)) {
                startLoadOnTwo(load, a, b);
                progress("kill -9 of instance b ...");
                load.startWindow();
                b.kill();
                Thread.sleep(Math.max(seconds, 12) * 1000L); // past the session timeout (10 s): its tasks move
                out.put("read_gap_ms", load.gapMs());
                out.set("slow_reads_after_kill", JSON.valueToTree(load.slowReads()));
                progress("longest read gap through a after the kill: %d ms; restarting b ...", load.gapMs());
                long t0 = System.nanoTime();
                load.startWindow();
                b = new ServeProcess("b", dir.resolve("b"), b.httpPort(), args, List.of()).start();
                b.awaitServing(VIEW_READ, Duration.ofMinutes(3));
                out.put("peer_restart_ms", (System.nanoTime() - t0) / 1_000_000);
                Thread.sleep(seconds * 1000L);
                out.put("read_gap_during_rejoin_ms", load.gapMs());
                out.set("slow_reads_during_rejoin", JSON.valueToTree(load.slowReads()));
                progress("b serves again after %d ms; read gap meanwhile %d ms", out.path("peer_restart_ms").asLong(), load.gapMs());
                finish(load, a.url(), out);
                out.set("check_through_b", JSON.valueToTree(ViewCheck.run(load, b.url()).fields()));
            } finally {
                a.stop();
                b.stop();
            }
        }
    }

    /** Two instances; a third joins, then the second stops cleanly. */
    private void scale(Path dir, ObjectNode out) throws Exception {
        try (EmbeddedRuntime rt = EmbeddedRuntime.start(dir.resolve("kafka"), 0, 0)) {
            List<String> args = serveArgs(dir, rt);
            ServeProcess a = new ServeProcess("a", dir.resolve("a"), Ports.free(), args, List.of()).start();
            ServeProcess b = new ServeProcess("b", dir.resolve("b"), Ports.free(), args, List.of()).start();
            ServeProcess c = new ServeProcess("c", dir.resolve("c"), Ports.free(), args, List.of());
            try (ChaosLoad load = new ChaosLoad(a::url, a::url, rate)) {
                startLoadOnTwo(load, a, b);
                progress("adding instance c ...");
                load.startWindow();
                long t0 = System.nanoTime();
                c.start().awaitServing(VIEW_READ, Duration.ofMinutes(3));
                out.put("scale_out_serving_ms", (System.nanoTime() - t0) / 1_000_000);
                Thread.sleep(Math.max(seconds, 10) * 1000L);
                out.put("scale_out_read_gap_ms", load.gapMs());
                out.set("slow_reads_scale_out", JSON.valueToTree(load.slowReads()));
                progress("c serves after %d ms; read gap through a %d ms; stopping b cleanly ...",
                        out.path("scale_out_serving_ms").asLong(), load.gapMs());
                load.startWindow();
                b.stop();
                Thread.sleep(Math.max(seconds, 10) * 1000L);
                out.put("scale_in_read_gap_ms", load.gapMs());
                out.set("slow_reads_scale_in", JSON.valueToTree(load.slowReads()));
                progress("read gap through a after b left: %d ms", load.gapMs());
                finish(load, a.url(), out);
                out.set("check_through_c", JSON.valueToTree(ViewCheck.run(load, c.url()).fields()));
            } finally {
                a.stop();
                b.stop();
                c.stop();
            }
        }
    }

    /** Waits until two instances serve and see each other, then starts the load through the first and lets it run. */
    private void startLoadOnTwo(ChaosLoad load, ServeProcess a, ServeProcess b) throws Exception {
        progress("starting two instances ...");
        a.awaitServing(VIEW_READ, Duration.ofMinutes(3));
        b.awaitServing(VIEW_READ, Duration.ofMinutes(3));
        awaitInstances(load, a, 2);
        load.seed();
        load.start();
        Thread.sleep(seconds * 1000L);
    }

    void finish(ChaosLoad load, String url, ObjectNode out) throws Exception {
        load.close();
        progress("load stopped; settling and comparing every view with the joins evaluated over the base tables ...");
        ViewCheck check = ViewCheck.run(load, url);
        load.counts().forEach((k, v) -> out.put(k, ((Number) v).longValue()));
        out.set("check", JSON.valueToTree(check.fields()));
        out.set("fresh_violation_samples", JSON.valueToTree(load.freshViolations().stream().limit(5).toList()));
        progress("%d view rows: %d lost writes, %d wrong, %d missing, %d extra", check.viewRows(), check.lostWrites(), check.wrong(),
                check.missing(), check.extra());
    }

    /** Waits until an instance sees the others (its stats list them), so that partitions are shared before the load. */
    private static void awaitInstances(ChaosLoad load, ServeProcess through, int n) throws Exception {
        long deadline = System.nanoTime() + Duration.ofMinutes(2).toNanos();
        while (System.nanoTime() < deadline) {
            try {
                if (load.getJson(through.url(), "/v1/stats?all=true").path("instances").size() >= n
                        && through.answers("/v1/settle?timeout_ms=10000")) {
                    return;
                }
            } catch (IllegalStateException notYet) {
                // rebalancing
            }
            Thread.sleep(500);
        }
        throw new IllegalStateException(n + " instances did not see each other within 2 minutes");
    }

    private List<String> serveArgs(Path dir, EmbeddedRuntime rt) {
        return rt == null ? serveArgs(dir, null, null) : serveArgs(dir, rt.bootstrapServers(), rt.schemaRegistryUrl());
    }

    /** @return the options of {@code serve}: on the given cluster and registry, or embedded ones if {@code null} */
    List<String> serveArgs(Path dir, String bootstrap, String registry) {
        List<String> args = new ArrayList<>(List.of("--joins", dir.resolve("chaos.pq").toString(), "--partitions", "4",
                "--resp-port", "-1", "--namespace", "chaos"));
        if (bootstrap != null) {
            args.addAll(List.of("--bootstrap-servers", bootstrap, "--schema-registry", registry));
        }
        if (exactlyOnce) {
            args.add("--exactly-once");
        }
        for (String s : settings) {
            args.addAll(List.of("--set", s));
        }
        return args;
    }

    int rate() {
        return rate;
    }

    int seconds() {
        return seconds;
    }

    static void progress(String format, Object... args) {
        System.err.printf("[failover] " + format + "%n", args);
    }

    private static void deleteTree(Path p) throws IOException {
        if (!Files.exists(p)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(p)) {
            for (Path x : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(x);
            }
        }
    }
}
