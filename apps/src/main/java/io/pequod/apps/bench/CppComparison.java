package io.pequod.apps.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

/**
 * {@code bench report}'s comparison with Pequod's own C++ server on the same workload, side by
 * side in one run: {@code ./pequod twitter --check --nusers N}, as a user runs it (a JVM of its
 * own, the embedded broker and registry included), then {@code pqserver --twitternew --nusers=N}
 * (one process, no network, nothing durable), each under GNU time for its CPU seconds (user + system,
 * children included), wall time and peak RSS. The C++ server is the one
 * {@code ../shared/anchors/pequod-cpp/build.sh} builds into {@code $PEQUOD_CPP_DIR} (default
 * {@code /tmp/pequod-cpp}); without it, or without {@code /usr/bin/time}, the comparison is skipped
 * with the reason.
 */
final class CppComparison {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Path TIME = Path.of("/usr/bin/time");

    private CppComparison() {
    }

    /** @return the C++ server's binary, where build.sh puts it */
    static Path server() {
        String dir = System.getenv().getOrDefault("PEQUOD_CPP_DIR", "/tmp/pequod-cpp");
        return Path.of(dir, "src", "obj", "pqserver");
    }

    /**
     * @param home  the repository root (its {@code ./pequod} launcher runs ours)
     * @param dir   the report's directory, where each run's JSON output is kept
     * @param users the user counts to run
     * @return one object per size with both sides and the ratios, or {@code skipped} with the reason
     */
    static ObjectNode run(Path home, Path dir, int[] users) throws IOException, InterruptedException {
        ObjectNode out = JSON.createObjectNode();
        Path pq = server();
        if (!Files.isExecutable(pq)) {
            return out.put("skipped", pq + " is not built (../shared/anchors/pequod-cpp/build.sh)");
        }
        if (!Files.isExecutable(TIME)) {
            return out.put("skipped", "GNU time is not installed (apt-get install time)");
        }
        var runs = out.putArray("runs");
        for (int n : users) {
            ObjectNode ours = timed(List.of(home.resolve("pequod").toString(), "twitter", "--check", "--nusers", Integer.toString(n)),
                    home, dir.resolve("twitter-pequod-kafka-" + n + ".json"));
            ObjectNode theirs = timed(List.of(pq.toString(), "--twitternew", "--nusers=" + n), pq.getParent().getParent(),
                    dir.resolve("twitter-pequod-cpp-" + n + ".json"));
            ObjectNode r = runs.addObject().put("users", n);
            r.set("pequod_kafka", ours);
            r.set("pequod_cpp", theirs);
            r.put("cpu_ratio", round(ours.path("cpu_s").asDouble() / theirs.path("cpu_s").asDouble()));
            r.put("wall_ratio", round(ours.path("wall_s").asDouble() / theirs.path("wall_s").asDouble()));
            r.put("rss_ratio", round(ours.path("max_rss_mb").asDouble() / theirs.path("max_rss_mb").asDouble()));
            System.err.printf(Locale.ROOT, "bench report: twitter %d users: %.1f CPU s against Pequod C++'s %.2f (%.1fx)%n", n,
                    ours.path("cpu_s").asDouble(), theirs.path("cpu_s").asDouble(), r.path("cpu_ratio").asDouble());
        }
        return out;
    }

    /** Runs a command under GNU time; its stdout (a JSON object) is kept in {@code json}. */
    private static ObjectNode timed(List<String> command, Path dir, Path json) throws IOException, InterruptedException {
        ObjectNode o = timed(command, dir, json, 20);
        if (o.path("exit").asInt() != 0) {
            throw new IOException(String.join(" ", command) + " exited " + o.path("exit").asInt() + "; output in " + json);
        }
        o.remove("output");
        return o;
    }

    /** @return whether GNU time is installed, which {@link #timed} needs */
    static boolean canTime() {
        return Files.isExecutable(TIME);
    }

    /**
     * Runs a command under GNU time; its stdout (a JSON object) is kept in {@code json}.
     *
     * @return wall_s, cpu_s (user + system, children included), max_rss_mb, exit, and the output's nposts_read and exact
     */
    static ObjectNode timed(List<String> command, Path dir, Path json, int minutes) throws IOException, InterruptedException {
        Path times = Files.createTempFile("pequod-time-", ".txt");
        try {
            List<String> c = new ArrayList<>(List.of(TIME.toString(), "-f", "%e %U %S %M", "-o", times.toString()));
            c.addAll(command);
            Process p = new ProcessBuilder(c).directory(dir.toFile()).redirectOutput(json.toFile())
                    .redirectError(ProcessBuilder.Redirect.DISCARD).start();
            if (!p.waitFor(minutes, TimeUnit.MINUTES)) {
                p.destroyForcibly();
                throw new IOException(String.join(" ", command) + " did not finish in " + minutes + " minutes");
            }
            String[] f = Files.readString(times, StandardCharsets.UTF_8).trim().split("\\s+");
            if (f.length < 4) {
                throw new IOException(String.join(" ", command) + " exited " + p.exitValue() + " without GNU time's figures; output in " + json);
            }
            double user = Double.parseDouble(f[f.length - 3]);
            double sys = Double.parseDouble(f[f.length - 2]);
            ObjectNode o = JSON.createObjectNode().put("command", String.join(" ", command))
                    .put("wall_s", Double.parseDouble(f[f.length - 4])).put("cpu_s", round(user + sys))
                    .put("max_rss_mb", round(Long.parseLong(f[f.length - 1]) / 1024.0)).put("exit", p.exitValue());
            JsonNode r;
            try {
                r = JSON.readTree(json.toFile());
            } catch (IOException notJson) {
                return o;
            }
            o.set("output", r);
            o.put("nposts_read", r.path("nposts_read").asLong());
            if (r.has("exact")) {
                o.put("exact", r.path("exact").asBoolean());
            }
            return o;
        } finally {
            Files.deleteIfExists(times);
        }
    }

    private static double round(double x) {
        return Math.round(x * 100) / 100.0;
    }
}
