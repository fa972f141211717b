package io.pequod.apps.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.pequod.apps.workload.NewpWorkload;
import io.pequod.apps.workload.PushRun;
import io.pequod.apps.workload.TwitterWorkload;
import io.pequod.embedded.Ports;
import io.pequod.server.AllInOne;
import io.pequod.views.spec.JoinSpec;
import io.pequod.views.spec.JoinSpecParser;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * {@code pequod bench report}: a short suite — Twitter at two sizes in the join, push and Redis
 * modes on the same operation sequence, newp at two vote rates, writer throughput, freshness —
 * written to {@code bench-results/<timestamp>/results.json} and {@code index.html} with charts
 * (XChart PNGs), and summarized on stdout. A mode that cannot run here (no redis-server) is
 * reported as skipped, with the reason.
 */
public final class BenchReport {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Path home;
    private final int[] twitterSizes;

    /**
     * @param home         the repository root (examples/ and bench-results/ live there)
     * @param twitterSizes user counts of the Twitter runs
     */
    public BenchReport(Path home, int[] twitterSizes) {
        this.home = home;
        this.twitterSizes = twitterSizes;
    }

    /**
     * @return the report directory
     * @throws Exception if a benchmark fails
     */
    public Path run() throws Exception {
        Path dir = home.resolve("bench-results").resolve(LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")));
        Files.createDirectories(dir);
        ObjectNode results = JSON.createObjectNode();
        results.put("machine", Runtime.getRuntime().availableProcessors() + " cores, " + System.getProperty("java.vm.name") + " "
                + System.getProperty("java.version") + ", " + Runtime.getRuntime().maxMemory() / (1024 * 1024) + " MB max heap");
        ArrayNode twitter = results.putArray("twitter");
        // as `pequod twitter` does: a server without joins, and the initialize phase installs them
        TwitterWorkload.Spec joins = new TwitterWorkload.Spec("twitter.pq",
                Files.readString(home.resolve("examples").resolve("twitter.pq"), StandardCharsets.UTF_8));
        for (int users : twitterSizes) {
            try (AllInOne a = AllInOne.start("rtw" + users, JoinSpec.empty(), Set.of())) {
                ObjectNode r = new TwitterWorkload(new TwitterWorkload.Options(users, 100_000, 0.7, 1, false, 0,
                        TwitterWorkload.Timelines.JOIN, 0, 1, null)).run(joins, true, true, a.url()).json();
                r.remove("log");
                twitter.add(r.put("users", users).put("mode_name", "pequod joins"));
            }
            PushRun push = new PushRun(users, 100_000, 0.7, 1);
            try (AllInOne a = AllInOne.start("rpush" + users, JoinSpec.empty(), Set.of("t"))) {
                twitter.add(push.pequod(a.url()).put("users", users).put("mode_name", "pequod --push"));
            }
            twitter.add(redis(push).put("users", users).put("mode_name", "redis"));
        }
        results.set("pequod_cpp", CppComparison.run(home, dir, twitterSizes));
        ArrayNode newp = results.putArray("newp");
        JoinSpec newpJoins = JoinSpecParser.parse(home.resolve("examples").resolve("newp.pq"));
        for (double rate : new double[] {0.1, 0.5}) {
            try (AllInOne a = AllInOne.start("rnewp" + (int) (rate * 10), newpJoins, Set.of("a", "c", "v"))) {
                newp.add(new NewpWorkload(a.url(), 5_000, 2_000, 30_000, rate, 1).run());
            }
        }
        results.set("write", JSON.readTree(new WriteBenchmark(300_000, 100, 2, 8).run(null, null).toJson()));
        results.set("freshness", JSON.readTree(new FreshnessBenchmark(1000, 5, 1000, 10, 5).run()));
        Files.writeString(dir.resolve("results.json"), JSON.writerWithDefaultPrettyPrinter().writeValueAsString(results));
        charts(dir, results);
        Files.writeString(dir.resolve("index.html"), html(results), StandardCharsets.UTF_8);
        System.out.println(summary(results));
        return dir;
    }

    private static ObjectNode redis(PushRun push) throws Exception {
        if (!onPath("redis-server")) {
            return JSON.createObjectNode().put("skipped", "redis-server is not installed (apt-get install redis-server)");
        }
        int port = Ports.free();
        Process p = new ProcessBuilder("redis-server", "--port", Integer.toString(port), "--bind", "127.0.0.1", "--save", "",
                "--appendonly", "no").redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        try {
            Thread.sleep(300);
            return push.redis("127.0.0.1:" + port);
        } finally {
            p.destroy();
            p.waitFor(10, TimeUnit.SECONDS);
        }
    }

    private static boolean onPath(String tool) {
        for (String d : System.getenv().getOrDefault("PATH", "").split(":")) {
            if (Files.isExecutable(Path.of(d, tool))) {
                return true;
            }
        }
        return false;
    }

    private void charts(Path dir, JsonNode r) throws Exception {
        CategoryChart run = new CategoryChartBuilder().width(760).height(420).title("Twitter run phase (100,000 ticks)")
                .xAxisTitle("users").yAxisTitle("seconds").build();
        for (String mode : List.of("pequod joins", "pequod --push", "redis")) {
            List<String> xs = new ArrayList<>();
            List<Double> ys = new ArrayList<>();
            for (JsonNode t : r.path("twitter")) {
                if (t.path("mode_name").asText().equals(mode) && t.has("wall_time")) {
                    xs.add(t.path("users").asText());
                    ys.add(t.path("wall_time").asDouble());
                }
            }
            if (!xs.isEmpty()) {
                run.addSeries(mode, xs, ys);
            }
        }
        BitmapEncoder.saveBitmap(run, dir.resolve("twitter").toString(), BitmapEncoder.BitmapFormat.PNG);
        JsonNode f = r.path("freshness");
        CategoryChart fresh = new CategoryChartBuilder().width(760).height(420).title("Freshness: write ack to follower's timeline")
                .xAxisTitle("percentile").yAxisTitle("ms").build();
        fresh.addSeries("timeline (join)", List.of("p50", "p90", "p99"), List.of(f.path("ack_to_visible_ms_p50").asDouble(),
                f.path("ack_to_visible_ms_p90").asDouble(), f.path("ack_to_visible_ms_p99").asDouble()));
        BitmapEncoder.saveBitmap(fresh, dir.resolve("freshness").toString(), BitmapEncoder.BitmapFormat.PNG);
        JsonNode w = r.path("write");
        CategoryChart write = new CategoryChartBuilder().width(760).height(420).title("Writer throughput (100-byte puts)")
                .xAxisTitle("client").yAxisTitle("records/s").build();
        write.addSeries("median", List.of("ChangeWriter", "KafkaProducer"), List.of(
                w.path("change_writer").path("records_per_sec_median").asDouble(),
                w.path("plain_producer").path("records_per_sec_median").asDouble()));
        BitmapEncoder.saveBitmap(write, dir.resolve("write").toString(), BitmapEncoder.BitmapFormat.PNG);
    }

    private static String html(JsonNode r) {
        StringBuilder sb = new StringBuilder("<!doctype html><html><head><meta charset=\"utf-8\"><title>Pequod benchmark report</title>"
                + "<style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}td,th{border:1px solid #999;"
                + "padding:4px 8px;text-align:right}</style></head><body><h1>Pequod benchmark report</h1><p>");
        sb.append(esc(r.path("machine").asText())).append("</p><h2>Twitter (twitternew)</h2><table><tr><th>users</th><th>mode</th>"
                + "<th>run s</th><th>ops/s</th><th>nposts_read</th><th>nchecks</th><th>note</th></tr>");
        for (JsonNode t : r.path("twitter")) {
            sb.append("<tr><td>").append(t.path("users").asText()).append("</td><td>").append(esc(t.path("mode_name").asText()))
                    .append("</td><td>").append(t.path("wall_time").asText("-")).append("</td><td>").append(t.path("run_ops_per_sec").asText("-"))
                    .append("</td><td>").append(t.path("nposts_read").asText("-")).append("</td><td>").append(t.path("nchecks").asText("-"))
                    .append("</td><td>").append(esc(t.path("skipped").asText(""))).append("</td></tr>");
        }
        sb.append("</table><img src=\"twitter.png\"><h2>Against Pequod's C++ server (same workload, side by side)</h2>");
        JsonNode cpp = r.path("pequod_cpp");
        if (cpp.has("skipped")) {
            sb.append("<p>skipped: ").append(esc(cpp.path("skipped").asText())).append("</p>");
        } else {
            sb.append("<table><tr><th>users</th><th>ours CPU s</th><th>C++ CPU s</th><th>CPU ratio</th><th>ours wall s</th>"
                    + "<th>C++ wall s</th><th>ours RSS MB</th><th>C++ RSS MB</th></tr>");
            for (JsonNode c : cpp.path("runs")) {
                sb.append("<tr><td>").append(c.path("users").asText()).append("</td><td>").append(c.path("pequod_kafka").path("cpu_s").asText())
                        .append("</td><td>").append(c.path("pequod_cpp").path("cpu_s").asText()).append("</td><td>")
                        .append(c.path("cpu_ratio").asText()).append("</td><td>").append(c.path("pequod_kafka").path("wall_s").asText())
                        .append("</td><td>").append(c.path("pequod_cpp").path("wall_s").asText()).append("</td><td>")
                        .append(c.path("pequod_kafka").path("max_rss_mb").asText()).append("</td><td>")
                        .append(c.path("pequod_cpp").path("max_rss_mb").asText()).append("</td></tr>");
            }
            sb.append("</table>");
        }
        sb.append("<h2>newp</h2><table><tr><th>vote rate</th><th>ops/s</th><th>votes</th>"
                + "<th>page reads</th><th>verified</th></tr>");
        for (JsonNode n : r.path("newp")) {
            sb.append("<tr><td>").append(n.path("vote_rate").asText()).append("</td><td>").append(n.path("run_ops_per_sec").asText())
                    .append("</td><td>").append(n.path("nvotes").asText()).append("</td><td>").append(n.path("npage_reads").asText())
                    .append("</td><td>").append(n.path("verified").asText()).append("</td></tr>");
        }
        sb.append("</table><h2>Freshness</h2><img src=\"freshness.png\"><h2>Writer</h2><img src=\"write.png\">"
                + "<p>Raw figures: <a href=\"results.json\">results.json</a></p></body></html>");
        return sb.toString();
    }

    private static String summary(JsonNode r) {
        StringBuilder sb = new StringBuilder(String.format(Locale.ROOT, "%-8s %-16s %10s %10s %12s%n", "users", "twitter mode",
                "run s", "ops/s", "posts read"));
        for (JsonNode t : r.path("twitter")) {
            sb.append(String.format(Locale.ROOT, "%-8s %-16s %10s %10s %12s%n", t.path("users").asText(), t.path("mode_name").asText(),
                    t.path("wall_time").asText("skipped"), t.path("run_ops_per_sec").asText("-"), t.path("nposts_read").asText("-")));
        }
        for (JsonNode c : r.path("pequod_cpp").path("runs")) {
            sb.append(String.format(Locale.ROOT, "twitter %s users against Pequod's C++ server: CPU %s s vs %s s (%sx), RSS %s vs %s MB%n",
                    c.path("users").asText(), c.path("pequod_kafka").path("cpu_s").asText(), c.path("pequod_cpp").path("cpu_s").asText(),
                    c.path("cpu_ratio").asText(), c.path("pequod_kafka").path("max_rss_mb").asText(),
                    c.path("pequod_cpp").path("max_rss_mb").asText()));
        }
        if (r.path("pequod_cpp").has("skipped")) {
            sb.append("Pequod C++ comparison skipped: ").append(r.path("pequod_cpp").path("skipped").asText()).append('\n');
        }
        for (JsonNode n : r.path("newp")) {
            sb.append(String.format(Locale.ROOT, "newp vote rate %.1f: %s ops/s, verified %s%n", n.path("vote_rate").asDouble(),
                    n.path("run_ops_per_sec").asText(), n.path("verified").asText()));
        }
        JsonNode f = r.path("freshness");
        sb.append(String.format(Locale.ROOT, "freshness p50 %s ms, p99 %s ms%n", f.path("ack_to_visible_ms_p50").asText(),
                f.path("ack_to_visible_ms_p99").asText()));
        sb.append(String.format(Locale.ROOT, "writer/producer ratio %s%n", r.path("write").path("ratio_writer_to_producer").asText()));
        return sb.toString();
    }

    private static String esc(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
    }
}
