package io.pequod.apps.cli;

import io.pequod.server.PequodConfig;
import org.apache.kafka.common.config.ConfigException;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The configuration model as users see it: the README's table, validation messages, serve's options. */
class ConfigDocTest {
    @Test
    void readmeShowsEverySettingAsConfigPrintsIt() throws IOException {
        String readme = Files.readString(Path.of("..", "README.md"), StandardCharsets.UTF_8);
        int begin = readme.indexOf("<!-- config:begin -->\n");
        int end = readme.indexOf("<!-- config:end -->");
        assertTrue(begin >= 0 && end > begin, "README.md has the config:begin and config:end markers");
        assertEquals(PequodConfig.markdown(), readme.substring(begin + "<!-- config:begin -->\n".length(), end),
                "README.md's configuration table is out of date: paste the output of ./pequod config between the markers");
    }

    @Test
    void anInvalidValueIsRefusedNamingTheSetting() {
        ConfigException e = assertThrows(ConfigException.class, () -> new PequodConfig(Map.of(PequodConfig.HTTP_PORT, "70000")));
        assertEquals("Invalid value 70000 for configuration pequod.http.port: Value must be no more than 65535", e.getMessage());
        e = assertThrows(ConfigException.class, () -> new PequodConfig(Map.of("pequod.namespace", "a b")));
        assertTrue(e.getMessage().startsWith("Invalid value a b for configuration pequod.namespace"), e.getMessage());
        e = assertThrows(ConfigException.class, () -> new PequodConfig(Map.of(PequodConfig.QUERY_DEFAULT_LIMIT, "500",
                PequodConfig.QUERY_MAX_LIMIT, "100")));
        assertTrue(e.getMessage().contains("pequod.query.default.limit"), e.getMessage());
        e = assertThrows(ConfigException.class, () -> new PequodConfig(Map.of("pequod.htp.port", "7000")));
        assertTrue(e.getMessage().startsWith("Unknown configuration pequod.htp.port"), e.getMessage());
        assertEquals("1", new PequodConfig(Map.of("streams.producer.linger.ms", "1")).originalsWithPrefix("streams.")
                .get("producer.linger.ms"), "Kafka clients' settings pass through");
    }

    @Test
    void serveRefusesABadPortBeforeStartingAnything() {
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        PrintStream old = System.err;
        int code;
        try {
            var cl = PequodCli.commandLine();
            cl.setErr(new PrintWriter(err, true, StandardCharsets.UTF_8));
            code = cl.execute("serve", "--http-port", "70000", "--data-dir", "target/config-doc-test");
        } finally {
            System.setErr(old);
        }
        assertEquals(2, code);
        assertTrue(err.toString(StandardCharsets.UTF_8).contains("Invalid value 70000 for configuration pequod.http.port"), err.toString());
    }

    @Test
    void tlsFilesAreCheckedNamingTheSettingAndTheFile() {
        ConfigException e = assertThrows(ConfigException.class, () -> new PequodConfig(Map.of(PequodConfig.TLS_CERT, "tls/cert.pem")));
        assertEquals("pequod.tls.cert is set but TLS needs both pequod.tls.cert and pequod.tls.key; pequod.tls.key is not set",
                e.getMessage());
        e = assertThrows(ConfigException.class, () -> new PequodConfig(Map.of(PequodConfig.TLS_CERT, "target/no-such-cert.pem",
                PequodConfig.TLS_KEY, "target/no-such-key.pem")));
        assertEquals("Invalid value target/no-such-cert.pem for configuration pequod.tls.cert: no such file", e.getMessage());
    }

    @Test
    void serveRefusesAMissingTlsFileBeforeStartingAnything() {
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        PrintStream old = System.err;
        int code;
        try {
            var cl = PequodCli.commandLine();
            cl.setErr(new PrintWriter(err, true, StandardCharsets.UTF_8));
            code = cl.execute("serve", "--set", "pequod.tls.cert=target/no-such-cert.pem", "--set", "pequod.tls.key=target/no-such-key.pem",
                    "--data-dir", "target/config-doc-test");
        } finally {
            System.setErr(old);
        }
        assertEquals(2, code);
        assertTrue(err.toString(StandardCharsets.UTF_8).contains("Invalid value target/no-such-cert.pem for configuration "
                + "pequod.tls.cert: no such file"), err.toString());
    }

    @Test
    void settingsComeFromTheFileThenSetThenOptions() throws Exception {
        Path file = Files.createTempFile("pequod", ".properties");
        Files.writeString(file, "pequod.http.port=7100\npequod.resp.port=7101\npequod.partitions=3\n");
        ServeCommand serve = new ServeCommand();
        var cl = new picocli.CommandLine(serve);
        cl.parseArgs("--config", file.toString(), "--set", "pequod.resp.port=7102", "--http-port", "7103");
        PequodConfig c = new PequodConfig(serve.settings());
        assertEquals(7103, c.getInt(PequodConfig.HTTP_PORT));
        assertEquals(7102, c.getInt(PequodConfig.RESP_PORT));
        assertEquals(3, c.getInt("pequod.partitions"));
        Files.delete(file);
    }

    @Test
    void aLaterSettingsFileWinsOverAnEarlierOne() throws Exception {
        Path settings = Files.createTempFile("pequod", ".properties");
        Path secrets = Files.createTempFile("pequod-secret", ".properties");
        Files.writeString(settings, "pequod.partitions=3\npequod.auth.token=placeholder\n");
        Files.writeString(secrets, "pequod.auth.token=s3cret\nstreams.sasl.mechanism=PLAIN\n");
        ServeCommand serve = new ServeCommand();
        new picocli.CommandLine(serve).parseArgs("--config", settings.toString(), "--config", secrets.toString());
        PequodConfig c = new PequodConfig(serve.settings());
        assertEquals(3, c.getInt("pequod.partitions"));
        assertEquals("s3cret", c.authToken());
        assertEquals("PLAIN", serve.settings().get("streams.sasl.mechanism"));
        Files.delete(settings);
        Files.delete(secrets);
    }
}
