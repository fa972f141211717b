package io.pequod.apps.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@link DashboardMetrics}' PromQL and exposition parsing, and deploy/grafana's dashboard as Grafana needs it. */
class DashboardMetricsTest {
    private static final Path DASHBOARD = KubernetesManifestsTest.deployDir().resolve("grafana/pequod-dashboard.json");

    @Test
    void metricNamesOfPromQl() {
        assertEquals(Set.of("pequod_visible_latency_seconds_bucket"), DashboardMetrics.metricNames(
                "histogram_quantile(0.99, sum by (table, le) (rate(pequod_visible_latency_seconds_bucket{instance=~\"$instance\", "
                        + "table=~\"$view\"}[$__rate_interval])))"));
        assertEquals(Set.of("pequod_requests_seconds_sum", "pequod_requests_seconds_count"), DashboardMetrics.metricNames(
                "sum without(command) (rate(pequod_requests_seconds_sum[5m] offset 1h)) / sum without (command)"
                        + " (rate(pequod_requests_seconds_count{front_end=\"resp\"}[5m])) * 1e3"));
        assertEquals(Set.of("jvm_memory_used_bytes", "jvm_memory_max_bytes"), DashboardMetrics.metricNames(
                "jvm_memory_used_bytes{area=\"heap\",id=~\"G1 {Eden} Space|x\"} / on (instance) group_left jvm_memory_max_bytes > bool 0.5"));
        assertEquals(Set.of("up"), DashboardMetrics.metricNames("label_replace(up, \"host\", \"$1\", \"instance\", \"(.*):.*\")"));
        assertEquals(Set.of("pequod_dead_letters"), DashboardMetrics.metricNames("max_over_time(pequod_dead_letters[1h:5m]) or vector(0)"));
        assertEquals(Set.of(), DashboardMetrics.metricNames("vector(1) + 2.5e-3"));
    }

    @Test
    void sampleNamesOfAnExposition() {
        String text = """
                # HELP pequod_requests_seconds request latency
                # TYPE pequod_requests_seconds histogram
                pequod_requests_seconds_bucket{command="get",front_end="resp",le="0.001"} 3
                pequod_requests_seconds_count{command="get",front_end="resp"} 3
                pequod_requests_seconds_sum{command="get",front_end="resp"} 0.002
                pequod_dead_letters 0.0
                jvm_memory_used_bytes{area="heap",id="G1 Eden Space"} 1.2E7
                # EOF
                """;
        assertEquals(Set.of("pequod_requests_seconds_bucket", "pequod_requests_seconds_count", "pequod_requests_seconds_sum",
                "pequod_dead_letters", "jvm_memory_used_bytes"), DashboardMetrics.exportedMetrics(text));
    }

    @Test
    void theDashboardIsWhatGrafanaNeeds() throws IOException {
        JsonNode d = new ObjectMapper().readTree(DASHBOARD.toFile()); // valid JSON
        assertFalse(d.path("title").asText().isEmpty(), "a title");
        assertFalse(d.path("uid").asText().isEmpty(), "a uid");
        Set<String> variables = new HashSet<>();
        d.path("templating").path("list").forEach(v -> variables.add(v.path("name").asText()));
        assertTrue(variables.containsAll(Set.of("DS_PROMETHEUS", "instance", "view")), "variables " + variables);
        Set<Integer> ids = new HashSet<>();
        List<JsonNode> panels = DashboardMetrics.panels(d);
        assertTrue(panels.size() > 5, "panels");
        for (JsonNode p : panels) {
            String title = p.path("title").asText();
            assertTrue(p.has("id") && ids.add(p.get("id").asInt()), "panel ids are unique: " + title);
            assertTrue(p.has("gridPos"), "a position: " + title);
            if (p.path("type").asText().equals("row")) {
                continue;
            }
            assertEquals("${DS_PROMETHEUS}", p.path("datasource").path("uid").asText(), "datasource of " + title);
            assertTrue(p.path("targets").size() >= 1, "targets of " + title);
            for (JsonNode t : p.path("targets")) {
                assertFalse(t.path("expr").asText().isBlank(), "an expression in " + title);
                assertFalse(DashboardMetrics.metricNames(t.path("expr").asText()).isEmpty(), "a metric in " + title + ": " + t.path("expr"));
            }
        }
        Set<String> queried = DashboardMetrics.queriedMetrics(DASHBOARD);
        for (String name : queried) {
            assertTrue(name.startsWith("pequod_") || name.startsWith("jvm_") || name.startsWith("process_") || name.startsWith("system_"),
                    "a metric of ours or Micrometer's: " + name);
        }
        assertTrue(queried.containsAll(Set.of("pequod_visible_latency_seconds_bucket", "pequod_table_store_lag_records",
                "pequod_streams_rebalances_total", "pequod_rocksdb_memory_bytes", "pequod_partial_ranges", "jvm_memory_used_bytes")), queried.toString());
    }
}
