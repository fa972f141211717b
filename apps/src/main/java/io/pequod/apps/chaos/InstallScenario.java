package io.pequod.apps.chaos;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.pequod.embedded.EmbeddedRuntime;
import io.pequod.embedded.Ports;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import static io.pequod.apps.chaos.FailoverBenchmark.progress;

/**
 * The {@code install} scenario of {@link FailoverBenchmark}: one instance under the chaos load;
 * a view is installed into it ({@code POST /v1/joins}), redefined (it gains a join, so it is
 * rebuilt under a new generation), and another view is rebuilt ({@code POST
 * /v1/views/t/rebuild}). Through all three the load's reader keeps reading the other views
 * ({@code v}) and a base table, and the longest read gap of each step is reported (target: at
 * most 1 s). At the end every chaos view and the installed one are compared with the joins
 * evaluated by hand over the final base tables.
 */
final class InstallScenario {
    private static final ObjectMapper JSON = new ObjectMapper();
    /** A view installed under load: one row per follow. */
    static final String INSTALL = "fx|<user>|f|<poster> = copy s|<user>|<poster> where user:4, poster:4\n";
    /** The same view redefined: it gains a join, one row per item too. */
    static final String REDEFINE = "fx|<user>|i|<item> = copy x|<user>|<item> where user:4, item:4\n";

    private final FailoverBenchmark bench;
    private final Path dir;
    private final ObjectNode out;

    InstallScenario(FailoverBenchmark bench, Path dir, ObjectNode out) {
        this.bench = bench;
        this.dir = dir;
        this.out = out;
    }

    void run() throws Exception {
        try (EmbeddedRuntime rt = EmbeddedRuntime.start(dir.resolve("kafka"), 0, 0)) {
            List<String> args = bench.serveArgs(dir, rt.bootstrapServers(), rt.schemaRegistryUrl());
            ServeProcess a = new ServeProcess("a", dir.resolve("a"), Ports.free(), args, List.of()).start();
            try (ChaosLoad load = new ChaosLoad(a::url, a::url, bench.rate())) {
                progress("starting the instance ...");
                a.awaitServing(FailoverBenchmark.VIEW_READ, Duration.ofMinutes(3));
                load.seed();
                load.start();
                Thread.sleep(bench.seconds() * 1000L);
                step(load, "install", () -> load.post(a.url(), "/v1/joins?name=install.pq", INSTALL));
                step(load, "redefine", () -> load.post(a.url(), "/v1/joins?name=redefine.pq", REDEFINE));
                step(load, "rebuild", () -> load.post(a.url(), "/v1/views/t/rebuild", ""));
                bench.finish(load, a.url(), out);
                Map<String, Object> installed = checkInstalled(load, a.url());
                out.set("check_installed_view", JSON.valueToTree(installed));
                progress("installed view fx: %s", installed);
            } finally {
                a.stop();
            }
        }
    }

    /** One change under load: the longest read gap of the other views from its request until the load has run on. */
    private void step(ChaosLoad load, String name, Action action) throws Exception {
        progress("%s ...", name);
        load.startWindow();
        long t0 = System.nanoTime();
        String answer = action.run();
        long ms = (System.nanoTime() - t0) / 1_000_000;
        Thread.sleep(Math.max(bench.seconds(), 5) * 1000L);
        ObjectNode s = out.putObject(name);
        s.put("request_ms", ms);
        s.put("read_gap_ms", load.gapMs());
        s.put("write_gap_ms", load.writeGapMs());
        s.set("slow_reads", JSON.valueToTree(load.slowReads()));
        s.put("answer", answer.length() > 300 ? answer.substring(0, 300) : answer);
        progress("%s answered in %d ms; longest read gap of the other views %d ms", name, ms, load.gapMs());
    }

    private interface Action {
        String run() throws Exception;
    }

    /** The installed view against its joins evaluated by hand: a row per follow ("1") and per item (its value). */
    private static Map<String, Object> checkInstalled(ChaosLoad load, String url) throws IOException, InterruptedException {
        TreeMap<String, String> expected = new TreeMap<>();
        ViewCheck.scan(load, url, "s").forEach((k, v) -> {
            String[] f = k.split("\\|");
            expected.put("fx|" + f[1] + "|f|" + f[2], v);
        });
        ViewCheck.scan(load, url, "x").forEach((k, v) -> {
            String[] f = k.split("\\|");
            expected.put("fx|" + f[1] + "|i|" + f[2], v);
        });
        TreeMap<String, String> actual = ViewCheck.scan(load, url, "fx");
        List<String> samples = new ArrayList<>();
        long wrong = 0;
        for (Map.Entry<String, String> e : expected.entrySet()) {
            if (!e.getValue().equals(actual.get(e.getKey()))) {
                wrong++;
                if (samples.size() < 5) {
                    samples.add(e.getKey() + ": expected " + e.getValue() + ", got " + actual.get(e.getKey()));
                }
            }
        }
        long extra = actual.keySet().stream().filter(k -> !expected.containsKey(k)).count();
        Map<String, Object> m = new TreeMap<>();
        m.put("rows", expected.size());
        m.put("wrong_or_missing", wrong);
        m.put("extra", extra);
        m.put("samples", samples);
        return m;
    }
}
