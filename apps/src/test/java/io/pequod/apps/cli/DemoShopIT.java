package io.pequod.apps.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code pequod demo shop} end to end, as a user runs it (a JVM of its own, the launcher's logging
 * configuration): Debezium change events produced with a plain producer into the embedded broker;
 * the demo exits 0 only when every view row equals what it computed itself from the rows it
 * produced, and a healthy run prints no ERROR line.
 */
@Timeout(600)
class DemoShopIT {
    @Test
    void shouldShowExactViewsOverDebeziumTopicsWithoutAnErrorLine(@TempDir Path dir) throws IOException, InterruptedException {
        Path err = dir.resolve("stderr");
        Process p = new ProcessBuilder(ProcessHandle.current().info().command().orElse("java"),
                "-Dlogback.configurationFile=" + Path.of("target", "classes", "logback.xml").toAbsolutePath(),
                "-cp", System.getProperty("java.class.path"), "io.pequod.apps.cli.PequodCli",
                "demo", "shop", "--joins", "../examples/shop.pq", "--customers", "20", "--orders", "400")
                .redirectOutput(dir.resolve("stdout").toFile()).redirectError(err.toFile()).start();
        assertTrue(p.waitFor(5, TimeUnit.MINUTES), "the demo finished");
        List<String> errors = Files.readAllLines(err).stream().filter(l -> l.contains(" ERROR ")).limit(5).toList();
        assertEquals(0, p.exitValue(), "the views are exact; stderr: " + Files.readString(err));
        assertEquals(List.of(), errors, "a healthy run prints no ERROR line");
    }

    @Test
    void shouldRefuseAnUnknownDemo() {
        assertEquals(2, PequodCli.commandLine().execute("demo", "bank"));
    }
}
