package io.pequod.apps.chaos;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Pequod on a cluster of three Kafka nodes, each a JVM of its own (replication factor 3,
 * {@code min.insync.replicas} 2), with a registry that keeps its schemas in Kafka. Under write
 * load the node leading the metadata quorum is killed with SIGKILL and restarted: every topic
 * Pequod and Streams created has 3 replicas, no partition goes offline, no acknowledged write is
 * lost, every view equals its joins evaluated by hand, and a restarted registry still knows every
 * schema.
 */
@Timeout(600)
class BrokerClusterIT {
    @Test
    void aKilledBrokerLosesNoAcknowledgedWriteAndViewsStayExact(@TempDir Path dir) throws Exception {
        ObjectNode r = new FailoverBenchmark(dir, 40, 3, 1, false).run("brokers");
        System.out.println(r.toPrettyString());
        JsonNode before = r.path("replication");
        assertTrue(before.path("topics").asInt() >= 20, "tables, views, meta, dead letters and Streams' topics: " + before);
        assertEquals(3, before.path("min_replication_factor").asInt(), "every topic has 3 replicas: " + before);
        assertEquals(0, r.path("replication_one_node_down").path("offline").asInt(), r.path("replication_one_node_down").toString());
        assertTrue(r.path("writes_acked").asLong() > 100, r.toString());
        FailoverIT.assertExact(r.path("check"));
        assertEquals(0, r.path("fresh_violations").asLong(), r.path("fresh_violation_samples").toString());
        assertTrue(r.path("registry_schemas").asInt() > 0, r.toString());
        assertEquals(r.path("registry_schemas").asInt(), r.path("registry_schemas_kept").asInt(), "schemas survive the registry's restart");
    }
}
