package io.pequod.apps.chaos;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.pequod.embedded.EmbeddedSchemaRegistry;
import io.pequod.embedded.Ports;

import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static io.pequod.apps.chaos.FailoverBenchmark.progress;

/**
 * The {@code brokers} scenario of {@link FailoverBenchmark}: one instance on a cluster of three
 * Kafka nodes, each a JVM of its own, and a registry that keeps its schemas in Kafka. Under load,
 * the node leading the metadata quorum (the active controller, and the leader of about a third of
 * the partitions) is killed with SIGKILL and restarted; then the registry is restarted and must
 * still know every schema (the records' ids stay readable).
 */
final class ClusterScenario {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    private final FailoverBenchmark bench;
    private final Path dir;
    private final ObjectNode out;

    ClusterScenario(FailoverBenchmark bench, Path dir, ObjectNode out) {
        this.bench = bench;
        this.dir = dir;
        this.out = out;
    }

    void run() throws Exception {
        progress("starting 3 Kafka nodes (replication factor 3, min.insync.replicas 2; logs in %s) ...", dir.resolve("kafka"));
        try (BrokerCluster kafka = BrokerCluster.start(dir.resolve("kafka"), 3, 3)) {
            progress("starting a registry that keeps its schemas in Kafka ...");
            EmbeddedSchemaRegistry registry = EmbeddedSchemaRegistry.inKafka(dir.resolve("registry"), 0, kafka.bootstrapServers()).start();
            try {
                underLoad(kafka, registry.url());
                Map<String, String> before = schemas(registry.url());
                progress("restarting the registry (%d schemas) ...", before.size());
                registry.close();
                registry = EmbeddedSchemaRegistry.inKafka(dir.resolve("registry"), 0, kafka.bootstrapServers()).start();
                out.put("registry_schemas", before.size());
                out.put("registry_schemas_kept", kept(registry.url(), before));
                progress("the restarted registry still has %d of %d schemas", out.path("registry_schemas_kept").asInt(), before.size());
            } finally {
                registry.close();
            }
        }
    }

    private void underLoad(BrokerCluster kafka, String registryUrl) throws Exception {
        List<String> args = bench.serveArgs(dir, kafka.bootstrapServers(), registryUrl);
        ServeProcess a = new ServeProcess("instance", dir.resolve("a"), Ports.free(), args, List.of()).start();
        try (ChaosLoad load = new ChaosLoad(a::url, a::url, bench.rate())) {
            progress("starting the instance ...");
            out.put("first_start_ms", a.awaitServing(FailoverBenchmark.VIEW_READ, Duration.ofMinutes(3)));
            load.seed();
            load.start();
            Thread.sleep(bench.seconds() * 1000L);
            out.set("replication", JSON.valueToTree(kafka.replication()));
            int victim = kafka.quorumLeader();
            out.put("killed_node", victim);
            progress("kill -9 of Kafka node %d, the metadata quorum's leader ...", victim);
            load.startWindow();
            kafka.kill(victim);
            Thread.sleep(Math.max(bench.seconds(), 10) * 1000L);
            out.put("write_gap_ms", load.writeGapMs());
            out.put("read_gap_ms", load.gapMs());
            out.set("slow_reads_after_kill", JSON.valueToTree(load.slowReads()));
            Thread.sleep(2000); // the fenced node leaves the in-sync replicas a moment after the writes resume
            out.set("replication_one_node_down", JSON.valueToTree(kafka.replication()));
            progress("longest gaps after the kill: writes %d ms, reads %d ms; restarting node %d ...", load.writeGapMs(),
                    load.gapMs(), victim);
            out.put("node_restart_ms", kafka.restart(victim));
            out.put("back_in_sync_ms", kafka.awaitFullyReplicated(Duration.ofMinutes(2)));
            progress("node %d answers after %d ms; all replicas in sync %d ms later", victim, out.path("node_restart_ms").asLong(),
                    out.path("back_in_sync_ms").asLong());
            Thread.sleep(bench.seconds() * 1000L);
            bench.finish(load, a.url(), out);
        } finally {
            a.stop();
        }
    }

    /** @return each subject's latest schema, by its id */
    private static Map<String, String> schemas(String url) throws Exception {
        Map<String, String> byId = new LinkedHashMap<>();
        for (JsonNode subject : get(url + "/subjects")) {
            JsonNode latest = get(url + "/subjects/" + URLEncoder.encode(subject.asText(), StandardCharsets.UTF_8) + "/versions/latest");
            byId.put(latest.path("id").asText(), latest.path("schema").asText());
        }
        return byId;
    }

    /** @return how many of the schemas the registry gives back, the same, by id */
    private static int kept(String url, Map<String, String> schemas) throws Exception {
        int kept = 0;
        for (Map.Entry<String, String> e : schemas.entrySet()) {
            if (e.getValue().equals(get(url + "/schemas/ids/" + e.getKey()).path("schema").asText())) {
                kept++;
            }
        }
        return kept;
    }

    private static JsonNode get(String url) throws Exception {
        HttpResponse<String> res = HTTP.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(10)).build(),
                HttpResponse.BodyHandlers.ofString());
        if (res.statusCode() != 200) {
            throw new IllegalStateException("GET " + url + " answered " + res.statusCode() + ": " + res.body());
        }
        return JSON.readTree(res.body());
    }
}
