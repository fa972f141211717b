package io.pequod.apps.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * {@code bench policy}: Pequod's policy experiment. For each share of active users, side by side
 * in one run, {@code ./pequod twitter --check} with partial timelines (materialized when first
 * read, the default), eager ones ({@code --eager}: every timeline pushed) and pulled ones
 * ({@code --pull}: computed at each read), each a process of its own under GNU time (CPU seconds
 * with its children, wall, peak RSS), plus timeline rows stored and the latency of reading
 * timelines never read before ({@code --cold-reads}); and Pequod's C++ server with the same
 * {@code --pactive} (its hybrid default and, with {@code --prevalidate-inactive}, every timeline
 * pushed) when it is built. Rounds alternate the modes; medians are reported. Writes the JSON and
 * an SVG plot of cost against % active to {@code bench-results/policy-<time>/}.
 */
public final class PolicyBenchmark {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String[] COLORS = {"#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e"};

    private final Path home;
    private final int[] pactive;
    private final int nusers;
    private final int rounds;
    private final List<String> modes;
    private final int coldReads;

    /**
     * @param home      the repository root
     * @param pactive   shares of active users, in percent
     * @param nusers    users
     * @param rounds    rounds per mode and share (medians reported)
     * @param modes     partial, eager, pull (any of them)
     * @param coldReads timelines never read before, read one at a time after each run
     */
    public PolicyBenchmark(Path home, int[] pactive, int nusers, int rounds, List<String> modes, int coldReads) {
        this.home = home;
        this.pactive = pactive.clone();
        this.nusers = nusers;
        this.rounds = rounds;
        this.modes = List.copyOf(modes);
        this.coldReads = coldReads;
        for (String m : modes) {
            if (!List.of("partial", "eager", "pull").contains(m)) {
                throw new IllegalArgumentException("unknown mode '" + m + "'; use partial, eager, pull");
            }
        }
    }

    /**
     * Writes the plot of an earlier run's results again, next to them.
     *
     * @param json a {@code policy.json}
     * @return the plot's path
     * @throws IOException if the file cannot be read or written
     */
    public static Path replot(Path json) throws IOException {
        Path svg = json.resolveSibling("policy.svg");
        Files.writeString(svg, svg(JSON.readTree(json.toFile())), StandardCharsets.UTF_8);
        return svg;
    }

    /** @return the results (also written with the plot) @throws Exception if a run cannot be started */
    public ObjectNode run() throws Exception {
        if (!CppComparison.canTime()) {
            throw new IOException("GNU time (/usr/bin/time) is needed for CPU seconds with children: apt-get install time");
        }
        Path dir = home.resolve("bench-results").resolve("policy-" + LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")));
        Files.createDirectories(dir);
        ObjectNode out = JSON.createObjectNode();
        out.put("command", "./pequod bench policy --pactive " + String.join(",", Arrays.stream(pactive).mapToObj(Integer::toString).toList())
                + " --nusers " + nusers + " --rounds " + rounds + " --modes " + String.join(",", modes));
        out.put("nusers", nusers).put("rounds", rounds);
        Path cpp = CppComparison.server();
        boolean withCpp = Files.isExecutable(cpp);
        out.put("pequod_cpp", withCpp ? cpp.toString() : "not built (../shared/anchors/pequod-cpp/build.sh); its lines are left out");
        ArrayNode points = out.putArray("points");
        int total = pactive.length * rounds * (modes.size() + (withCpp ? 2 : 0));
        int done = 0;
        for (int p : pactive) {
            Map<String, List<ObjectNode>> runs = new LinkedHashMap<>();
            for (int r = 0; r < rounds; r++) {
                for (String m : modes) {
                    progress(++done, total, m + " at " + p + "% active, round " + (r + 1));
                    runs.computeIfAbsent(m, k -> new ArrayList<>()).add(ours(dir, m, p, r));
                }
                if (withCpp) {
                    for (String m : List.of("cpp-hybrid", "cpp-push")) {
                        progress(++done, total, m + " at " + p + "% active, round " + (r + 1));
                        runs.computeIfAbsent(m, k -> new ArrayList<>()).add(cpp(cpp, dir, m, p, r));
                    }
                }
            }
            ObjectNode point = points.addObject().put("pactive", p);
            runs.forEach((m, list) -> point.set(m, median(list)));
            ObjectNode ratios = point.putObject("ratios");
            if (point.has("partial") && point.has("eager")) {
                ratios.put("partial_cpu_over_eager", ratio(point, "partial", "eager", "cpu_s"));
                ratios.put("partial_rows_over_eager", ratio(point, "partial", "eager", "timeline_rows"));
            }
            if (point.has("partial") && point.has("cpp-hybrid")) {
                ratios.put("partial_cpu_over_cpp", ratio(point, "partial", "cpp-hybrid", "cpu_s"));
            }
            if (point.has("eager") && point.has("cpp-push")) {
                ratios.put("eager_cpu_over_cpp_push", ratio(point, "eager", "cpp-push", "cpu_s"));
            }
        }
        Files.writeString(dir.resolve("policy.json"), out.toPrettyString(), StandardCharsets.UTF_8);
        Files.writeString(dir.resolve("policy.svg"), svg(out), StandardCharsets.UTF_8);
        out.put("json", dir.resolve("policy.json").toString()).put("plot", dir.resolve("policy.svg").toString());
        System.err.println("bench policy: " + dir.resolve("policy.svg"));
        return out;
    }

    private static void progress(int i, int n, String what) {
        System.err.printf(Locale.ROOT, "bench policy: [%d/%d] %s%n", i, n, what);
    }

    private ObjectNode ours(Path dir, String mode, int p, int round) throws Exception {
        List<String> c = new ArrayList<>(List.of(home.resolve("pequod").toString(), "twitter", "--check", "--nusers", Integer.toString(nusers),
                "--pactive", Double.toString(p / 100.0), "--cold-reads", Integer.toString(coldReads)));
        if (!mode.equals("partial")) {
            c.add("--" + mode);
        }
        ObjectNode o = CppComparison.timed(c, home, dir.resolve(mode + "-" + p + "-" + round + ".json"), 120);
        JsonNode r = o.remove("output");
        o.put("exact", o.path("exit").asInt() == 0 && r != null && r.path("nposts_read").asLong() == r.path("reference_nposts_read").asLong());
        if (r != null) {
            o.put("nposts_read", r.path("nposts_read").asLong());
            o.put("timeline_rows", r.path("timeline_rows").asLong());
            o.put("cold_read_p50_ms", r.path("cold_reads").path("p50_ms").asDouble());
            o.put("cold_read_p99_ms", r.path("cold_reads").path("p99_ms").asDouble());
            o.put("run_wall_s", r.path("wall_time").asDouble());
        }
        System.err.printf(Locale.ROOT, "bench policy:   %s %d%%: %.1f CPU s, %.1f s wall, %d timeline rows, cold read p50 %.1f ms, %s%n", mode, p,
                o.path("cpu_s").asDouble(), o.path("wall_s").asDouble(), o.path("timeline_rows").asLong(),
                o.path("cold_read_p50_ms").asDouble(), o.path("exact").asBoolean() ? "exact" : "NOT EXACT");
        return o;
    }

    private ObjectNode cpp(Path pq, Path dir, String mode, int p, int round) throws Exception {
        List<String> c = new ArrayList<>(List.of(pq.toString(), "--twitternew", "--nusers=" + nusers, "--pactive=" + p));
        if (mode.equals("cpp-push")) {
            c.add("--prevalidate-inactive");
        }
        ObjectNode o = CppComparison.timed(c, pq.getParent().getParent(), dir.resolve(mode + "-" + p + "-" + round + ".json"), 30);
        JsonNode r = o.remove("output");
        if (r != null) {
            o.put("nposts_read", r.path("nposts_read").asLong());
        }
        System.err.printf(Locale.ROOT, "bench policy:   %s %d%%: %.2f CPU s%n", mode, p, o.path("cpu_s").asDouble());
        return o;
    }

    /** @return the run whose CPU seconds are the median, with every round's CPU seconds */
    private static ObjectNode median(List<ObjectNode> runs) {
        List<ObjectNode> sorted = new ArrayList<>(runs);
        sorted.sort((a, b) -> Double.compare(a.path("cpu_s").asDouble(), b.path("cpu_s").asDouble()));
        ObjectNode m = sorted.get(sorted.size() / 2).deepCopy();
        ArrayNode all = m.putArray("cpu_s_rounds");
        runs.forEach(r -> all.add(r.path("cpu_s").asDouble()));
        m.put("exact_all_rounds", runs.stream().allMatch(r -> !r.has("exact") || r.path("exact").asBoolean()));
        for (String f : List.of("wall_s", "timeline_rows", "cold_read_p50_ms", "cold_read_p99_ms")) {
            if (m.has(f)) {
                double[] v = runs.stream().mapToDouble(r -> r.path(f).asDouble()).sorted().toArray();
                m.put(f, v[v.length / 2]);
            }
        }
        return m;
    }

    private static double ratio(JsonNode point, String a, String b, String field) {
        double d = point.path(b).path(field).asDouble();
        return d == 0 ? Double.NaN : Math.round(point.path(a).path(field).asDouble() / d * 1000) / 1000.0;
    }

    /** Two panels: CPU seconds and timeline rows stored, against % active, one line per mode. */
    static String svg(JsonNode out) {
        List<String> series = new ArrayList<>();
        out.path("points").forEach(p -> p.properties().forEach(e -> {
            if (e.getValue().has("cpu_s") && !series.contains(e.getKey())) {
                series.add(e.getKey());
            }
        }));
        StringBuilder sb = new StringBuilder();
        int w = 980;
        int h = 420;
        sb.append("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"").append(w).append("\" height=\"").append(h)
                .append("\" font-family=\"sans-serif\" font-size=\"12\">\n<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n");
        sb.append("<text x=\"20\" y=\"22\" font-size=\"15\">Pequod's policy experiment, ").append(out.path("nusers").asInt())
                .append(" users: cost against share of active users (medians of ").append(out.path("rounds").asInt())
                .append(")</text>\n");
        panel(sb, out, series, "cpu_s", "CPU seconds, process and children (log)", 60, 50, 400, 300, true);
        panel(sb, out, series, "timeline_rows", "timeline rows stored (log)", 540, 50, 400, 300, true);
        int lx = 60;
        for (int i = 0; i < series.size(); i++) {
            sb.append(String.format(Locale.ROOT, "<rect x=\"%d\" y=\"395\" width=\"12\" height=\"12\" fill=\"%s\"/><text x=\"%d\" y=\"406\">%s</text>%n",
                    lx, COLORS[i % COLORS.length], lx + 16, series.get(i)));
            lx += 30 + 8 * series.get(i).length();
        }
        return sb.append("</svg>\n").toString();
    }

    private static void panel(StringBuilder sb, JsonNode out, List<String> series, String field, String title, int x0, int y0, int pw, int ph,
                              boolean log) {
        List<Double> xs = new ArrayList<>();
        double max = 0;
        double min = Double.MAX_VALUE;
        for (JsonNode p : out.path("points")) {
            xs.add(p.path("pactive").asDouble());
            for (String s : series) {
                if (p.path(s).has(field)) {
                    double v = p.path(s).path(field).asDouble();
                    max = Math.max(max, v);
                    if (v > 0) {
                        min = Math.min(min, v);
                    }
                }
            }
        }
        if (xs.isEmpty() || max <= 0) {
            return;
        }
        double lo = log ? Math.floor(Math.log10(min)) : 0;
        double hi = log ? Math.ceil(Math.log10(max)) : max * 1.1;
        double xmin = Math.log10(Math.max(1, xs.stream().mapToDouble(d -> d).min().orElse(1)));
        double xmax = Math.max(xmin + 1, Math.log10(xs.stream().mapToDouble(d -> d).max().orElse(100)));
        sb.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" font-size=\"13\">%s</text>%n", x0, y0 - 8, title));
        sb.append(String.format(Locale.ROOT, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"none\" stroke=\"#999\"/>%n", x0, y0, pw, ph));
        for (int t = 0; t <= 4; t++) {
            double v = lo + (hi - lo) * t / 4;
            int y = (int) (y0 + ph - ph * (double) t / 4);
            String label = log ? new java.text.DecimalFormat("#,##0.###").format(Math.pow(10, v)) : String.format(Locale.ROOT, "%.1f", v);
            sb.append(String.format(Locale.ROOT, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#eee\"/><text x=\"%d\" y=\"%d\" text-anchor=\"end\">%s</text>%n",
                    x0, y, x0 + pw, y, x0 - 4, y + 4, label));
        }
        for (double xv : xs) {
            int x = (int) (x0 + pw * (Math.log10(Math.max(1, xv)) - xmin) / (xmax - xmin));
            sb.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">%s%%</text>%n", x, y0 + ph + 16,
                    new java.text.DecimalFormat("0.#").format(xv)));
        }
        for (int i = 0; i < series.size(); i++) {
            StringBuilder path = new StringBuilder();
            for (JsonNode p : out.path("points")) {
                if (!p.path(series.get(i)).has(field)) {
                    continue;
                }
                double v = p.path(series.get(i)).path(field).asDouble();
                double yv = log ? (Math.log10(Math.max(Math.pow(10, lo), v)) - lo) / (hi - lo) : v / hi;
                int x = (int) (x0 + pw * (Math.log10(Math.max(1, p.path("pactive").asDouble())) - xmin) / (xmax - xmin));
                int y = (int) (y0 + ph - ph * yv);
                path.append(path.length() == 0 ? "M" : " L").append(x).append(',').append(y);
                sb.append(String.format(Locale.ROOT, "<circle cx=\"%d\" cy=\"%d\" r=\"3\" fill=\"%s\"/>%n", x, y, COLORS[i % COLORS.length]));
            }
            if (path.length() > 0) { // a mode without this figure (the C++ server stores no rows we count) has no line
                sb.append(String.format(Locale.ROOT, "<path d=\"%s\" fill=\"none\" stroke=\"%s\" stroke-width=\"2\"/>%n", path,
                        COLORS[i % COLORS.length]));
            }
        }
        sb.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">%% of users active (log)</text>%n", x0 + pw / 2, y0 + ph + 32));
    }
}
