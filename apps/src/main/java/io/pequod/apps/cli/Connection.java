package io.pequod.apps.cli;

import io.pequod.schemas.TableTopics;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Properties;

/**
 * Options shared by commands that reach Kafka: the cluster and registry, or the runtime that a
 * local {@code pequod serve} published in its data directory ({@value #RUNTIME_FILE}).
 */
public final class Connection {
    static final String RUNTIME_FILE = "runtime.properties";

    @Option(names = "--bootstrap-servers", paramLabel = "HOST:PORT",
            description = "Kafka bootstrap servers. Default: those of the `pequod serve` running on --data-dir.")
    String bootstrapServers;

    @Option(names = "--schema-registry", paramLabel = "URL",
            description = "Confluent-compatible Schema Registry URL. Default: that of the `pequod serve` on --data-dir.")
    String schemaRegistryUrl;

    @Option(names = "--namespace", defaultValue = TableTopics.DEFAULT_NAMESPACE, paramLabel = "NS",
            description = "Topic namespace: tables live in topics NS.TABLE. Default: ${DEFAULT-VALUE}.")
    String namespace;

    @Option(names = "--data-dir", paramLabel = "DIR", defaultValue = "${env:PEQUOD_DATA_DIR:-pequod-data}",
            description = "Data directory of the embedded runtime. Default: ${DEFAULT-VALUE}.")
    Path dataDir;

    /** Resolves missing endpoints from the running server's runtime file. */
    Resolved resolve() {
        if (bootstrapServers != null && schemaRegistryUrl != null) {
            return new Resolved(bootstrapServers, schemaRegistryUrl, namespace, "");
        }
        Path f = dataDir.resolve(RUNTIME_FILE);
        if (!Files.exists(f)) {
            throw new PequodCli.UserException("no Kafka cluster given and no running `pequod serve` found in " + dataDir
                    + " (no " + RUNTIME_FILE + "); start `./pequod serve` or pass --bootstrap-servers and --schema-registry", 2);
        }
        Properties p = new Properties();
        try (InputStream in = Files.newInputStream(f)) {
            p.load(in);
        } catch (IOException e) {
            throw new PequodCli.UserException("cannot read " + f + ": " + e.getMessage(), 2);
        }
        return new Resolved(bootstrapServers != null ? bootstrapServers : p.getProperty("bootstrap.servers"),
                schemaRegistryUrl != null ? schemaRegistryUrl : p.getProperty("schema.registry.url"),
                namespace, p.getProperty("partition.fixed.widths", ""));
    }

    /** @return the URL of the running server: --server, else the local `pequod serve`, else http://127.0.0.1:7070 */
    String serverUrl(String explicit) {
        if (explicit != null) {
            return explicit.endsWith("/") ? explicit.substring(0, explicit.length() - 1) : explicit;
        }
        Path f = dataDir.resolve(RUNTIME_FILE);
        if (Files.exists(f)) {
            Properties p = new Properties();
            try (InputStream in = Files.newInputStream(f)) {
                p.load(in);
                if (p.getProperty("server") != null) {
                    return p.getProperty("server");
                }
            } catch (IOException e) {
                throw new PequodCli.UserException("cannot read " + f + ": " + e.getMessage(), 2);
            }
        }
        return "http://127.0.0.1:7070";
    }

    static void publish(Path dataDir, String bootstrap, String registry, String namespace, String server, String fixedWidths)
            throws IOException {
        Properties p = new Properties();
        p.setProperty("bootstrap.servers", bootstrap);
        p.setProperty("schema.registry.url", registry);
        p.setProperty("namespace", namespace);
        p.setProperty("server", server);
        p.setProperty("partition.fixed.widths", fixedWidths);
        p.setProperty("pid", Long.toString(ProcessHandle.current().pid()));
        Path tmp = dataDir.resolve(RUNTIME_FILE + ".tmp");
        try (OutputStream out = Files.newOutputStream(tmp)) {
            p.store(out, "Written by `pequod serve`; removed when it stops");
        }
        Files.move(tmp, dataDir.resolve(RUNTIME_FILE), StandardCopyOption.REPLACE_EXISTING,
                StandardCopyOption.ATOMIC_MOVE);
    }

    static void unpublish(Path dataDir) {
        try {
            Files.deleteIfExists(dataDir.resolve(RUNTIME_FILE));
        } catch (IOException ignored) {
            // best effort at shutdown
        }
    }

    /** Endpoints to use. */
    record Resolved(String bootstrapServers, String schemaRegistryUrl, String namespace, String fixedWidths) {
    }
}
