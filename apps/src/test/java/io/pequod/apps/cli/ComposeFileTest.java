package io.pequod.apps.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** No Docker engine here: the compose file is checked as text, and its commands against the CLI. */
class ComposeFileTest {
    private static final String BROKERS = "kafka-1:9092,kafka-2:9092,kafka-3:9092";

    private static JsonNode services() throws Exception {
        return new ObjectMapper(new YAMLFactory()).readTree(Path.of("..", "compose", "docker-compose.yml").toFile()).path("services");
    }

    @Test
    void shouldRunThreeKafkaNodesThatReplicateEveryTopicThreeTimes() throws Exception {
        JsonNode services = services();
        String clusterId = services.path("kafka-1").path("environment").path("CLUSTER_ID").asText();
        assertEquals(22, clusterId.length(), "a base64 UUID, the same on every node");
        for (int n = 1; n <= 3; n++) {
            JsonNode env = services.path("kafka-" + n).path("environment");
            assertEquals(Integer.toString(n), env.path("KAFKA_NODE_ID").asText());
            assertEquals(clusterId, env.path("CLUSTER_ID").asText());
            assertEquals("1@kafka-1:9093,2@kafka-2:9093,3@kafka-3:9093", env.path("KAFKA_CONTROLLER_QUORUM_VOTERS").asText());
            assertEquals("PLAINTEXT://kafka-" + n + ":9092", env.path("KAFKA_ADVERTISED_LISTENERS").asText());
            for (String rf : List.of("KAFKA_DEFAULT_REPLICATION_FACTOR", "KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR",
                    "KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR", "KAFKA_SHARE_COORDINATOR_STATE_TOPIC_REPLICATION_FACTOR")) {
                assertEquals("3", env.path(rf).asText(), rf);
            }
            for (String isr : List.of("KAFKA_MIN_INSYNC_REPLICAS", "KAFKA_TRANSACTION_STATE_LOG_MIN_ISR",
                    "KAFKA_SHARE_COORDINATOR_STATE_TOPIC_MIN_ISR")) {
                assertEquals("2", env.path(isr).asText(), isr);
            }
            assertEquals("kafka-" + n + ":/var/lib/kafka/data", services.path("kafka-" + n).path("volumes").path(0).asText(),
                    "its log kept in a volume");
        }
    }

    @Test
    void shouldKeepTheRegistrysSchemasInKafka() throws Exception {
        JsonNode env = services().path("registry").path("environment");
        // The same settings as EmbeddedSchemaRegistry.inKafka, which the brokers scenario of bench failover runs.
        assertEquals("kafkasql", env.path("APICURIO_STORAGE_KIND").asText());
        assertEquals(BROKERS, env.path("APICURIO_KAFKASQL_BOOTSTRAP_SERVERS").asText());
    }

    @Test
    void shouldRunTwoPequodInstancesWithValidCommandsOnAllThreeBrokers() throws Exception {
        JsonNode services = services();
        for (String name : List.of("pequod-1", "pequod-2")) {
            JsonNode s = services.path(name);
            assertEquals("compose/Dockerfile", s.path("build").path("dockerfile").asText());
            String[] args = s.path("command").asText().trim().split("\\s+");
            CommandLine.ParseResult parsed = new CommandLine(new PequodCli()).parseArgs(args);
            assertEquals("serve", parsed.subcommand().commandSpec().name(), Arrays.toString(args));
            assertEquals(BROKERS, parsed.subcommand().matchedOptionValue("--bootstrap-servers", ""));
            assertTrue(parsed.subcommand().hasMatchedOption("--schema-registry"));
        }
    }
}
