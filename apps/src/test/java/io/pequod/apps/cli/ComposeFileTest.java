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
    @Test
    void shouldDescribeKafkaRegistryAndTwoPequodInstancesWithValidCommands() throws Exception {
        JsonNode compose = new ObjectMapper(new YAMLFactory()).readTree(Path.of("..", "compose", "docker-compose.yml").toFile());
        JsonNode services = compose.path("services");
        assertTrue(services.has("kafka") && services.has("registry"));
        for (String name : List.of("pequod-1", "pequod-2")) {
            JsonNode s = services.path(name);
            assertEquals("compose/Dockerfile", s.path("build").path("dockerfile").asText());
            String[] args = s.path("command").asText().trim().split("\\s+");
            CommandLine.ParseResult parsed = new CommandLine(new PequodCli()).parseArgs(args);
            assertEquals("serve", parsed.subcommand().commandSpec().name(), Arrays.toString(args));
            assertTrue(parsed.subcommand().hasMatchedOption("--bootstrap-servers"));
            assertTrue(parsed.subcommand().hasMatchedOption("--schema-registry"));
        }
    }
}
