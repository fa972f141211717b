package io.pequod.apps.cli;

import io.pequod.embedded.EmbeddedRuntime;
import io.pequod.server.PequodConfig;
import io.pequod.server.PequodServer;
import io.pequod.views.config.EngineConfig;
import io.pequod.views.spec.JoinSpec;
import io.pequod.views.spec.JoinSpecParser;
import org.apache.kafka.common.config.ConfigException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;

/**
 * {@code pequod serve}: a Pequod server until Ctrl-C. Without {@code --bootstrap-servers} it
 * starts the embedded broker and schema registry in {@code --data-dir}, kept across restarts.
 */
@Command(name = "serve", mixinStandardHelpOptions = true,
        description = {"Run a Pequod server (views, HTTP and Redis front ends) until Ctrl-C.",
                "Without --bootstrap-servers, starts an embedded Kafka broker and schema registry in --data-dir."})
final class ServeCommand implements Callable<Integer> {
    @Mixin
    Connection connection;

    @Spec
    CommandSpec command;

    @Option(names = "--joins", paramLabel = "FILE", description = "Join spec file (Pequod's join language), e.g. examples/twitter.pq.")
    Path joins;

    @Option(names = "--http-port", paramLabel = "PORT", description = "HTTP API port (0 = free; pequod.http.port, default 7070).")
    Integer httpPort;

    @Option(names = "--resp-port", paramLabel = "PORT", description = "Redis protocol port (0 = free, -1 = off; pequod.resp.port, default 6380).")
    Integer respPort;

    @Option(names = "--memento-port", paramLabel = "PORT", description = "memento text-protocol port (0 = free, -1 = off; pequod.memento.port, default off).")
    Integer mementoPort;

    @Option(names = "--bind", paramLabel = "HOST", description = "Address to listen on (pequod.bind, default 127.0.0.1).")
    String bind;

    @Option(names = "--advertise", paramLabel = "HOST", description = "Host name other instances use to reach this one (pequod.advertised.host). Default: the bind address.")
    String advertise;

    @Option(names = "--auth-token", paramLabel = "SECRET", description = "Require this shared secret: HTTP Bearer token, RESP AUTH (pequod.auth.token).")
    String authToken;

    @Option(names = "--tables", split = ",", paramLabel = "T1,T2", description = "Tables to create and materialize at start; others are picked up when first written (pequod.tables).")
    List<String> tables;

    @Option(names = "--partitions", paramLabel = "N", description = "Partitions of new tables (pequod.partitions, default 8).")
    Integer partitions;

    @Option(names = "--exactly-once", description = "Process exactly once; slower: about 50 ms more per join hop (pequod.exactly.once).")
    boolean exactlyOnce;

    @Option(names = "--standby-replicas", paramLabel = "N", description = "Warm standby copies of each store on other instances "
            + "(pequod.standby.replicas, default 1): reads fail over to them at once when an instance dies.")
    Integer standbyReplicas;

    @Option(names = "--kafka-port", paramLabel = "PORT", description = "Port of the embedded broker on 127.0.0.1; 0 picks a free one (pequod.kafka.port, default 0).")
    Integer kafkaPort;

    @Option(names = "--registry-port", paramLabel = "PORT", description = "Port of the embedded schema registry on 127.0.0.1; 0 picks a free one (pequod.registry.port, default 0).")
    Integer registryPort;

    @Option(names = "--config", paramLabel = "FILE", description = "Settings file (Java properties; `./pequod config` lists every setting). "
            + "May be given more than once (e.g. settings and a file of secrets): a later file wins over an earlier one, options given here over all.")
    List<Path> configFiles = new ArrayList<>();

    @Option(names = {"-s", "--set"}, paramLabel = "NAME=VALUE", description = "One setting, e.g. --set streams.producer.linger.ms=1; wins over --config.")
    Map<String, String> set = new LinkedHashMap<>();

    /** @return the settings: the file's, then --set's, then the options' */
    Map<String, Object> settings() throws IOException {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put(EngineConfig.NAMESPACE, connection.namespace);
        m.put(PequodConfig.DATA_DIR, connection.dataDir.toString());
        for (Path configFile : configFiles) {
            Properties p = new Properties();
            try (InputStream in = Files.newInputStream(configFile)) {
                p.load(in);
            } catch (IOException | IllegalArgumentException e) {
                throw new PequodCli.UserException("cannot read the settings file " + configFile + ": " + e, 2);
            }
            p.stringPropertyNames().forEach(k -> m.put(k, p.getProperty(k)));
        }
        m.putAll(set);
        if (command.commandLine().getParseResult().hasMatchedOption("--namespace")) {
            m.put(EngineConfig.NAMESPACE, connection.namespace);
        }
        if (command.commandLine().getParseResult().hasMatchedOption("--data-dir")) {
            m.put(PequodConfig.DATA_DIR, connection.dataDir.toString());
        }
        putIf(m, EngineConfig.BOOTSTRAP_SERVERS, connection.bootstrapServers);
        putIf(m, EngineConfig.SCHEMA_REGISTRY_URL, connection.schemaRegistryUrl);
        putIf(m, PequodConfig.HTTP_PORT, httpPort);
        putIf(m, PequodConfig.RESP_PORT, respPort);
        putIf(m, PequodConfig.MEMENTO_PORT, mementoPort);
        putIf(m, PequodConfig.BIND, bind);
        putIf(m, PequodConfig.ADVERTISED_HOST, advertise);
        putIf(m, PequodConfig.AUTH_TOKEN, authToken);
        putIf(m, EngineConfig.TABLES, tables == null ? null : String.join(",", tables));
        putIf(m, EngineConfig.PARTITIONS, partitions);
        putIf(m, EngineConfig.EXACTLY_ONCE, exactlyOnce ? true : null);
        putIf(m, EngineConfig.STANDBY_REPLICAS, standbyReplicas);
        putIf(m, PequodConfig.KAFKA_PORT, kafkaPort);
        putIf(m, PequodConfig.REGISTRY_PORT, registryPort);
        return m;
    }

    private static void putIf(Map<String, Object> m, String name, Object value) {
        if (value != null) {
            m.put(name, value);
        }
    }

    @Override
    public Integer call() throws Exception {
        JoinSpec spec = joins == null ? JoinSpec.empty() : JoinSpecParser.parse(joins);
        PequodConfig config;
        try {
            config = new PequodConfig(settings());
        } catch (ConfigException e) {
            throw new PequodCli.UserException(e.getMessage(), 2);
        }
        Path dataDir = Path.of(config.getString(PequodConfig.DATA_DIR));
        Files.createDirectories(dataDir);
        Map<String, Object> endpoints = new LinkedHashMap<>();
        EmbeddedRuntime runtime = null;
        if (config.getString(EngineConfig.BOOTSTRAP_SERVERS) == null) {
            System.out.println("Starting the embedded Kafka broker and schema registry in " + dataDir.toAbsolutePath() + " ...");
            runtime = EmbeddedRuntime.start(dataDir, config.getInt(PequodConfig.KAFKA_PORT), config.getInt(PequodConfig.REGISTRY_PORT));
            endpoints.put(EngineConfig.BOOTSTRAP_SERVERS, runtime.bootstrapServers());
            endpoints.put(EngineConfig.SCHEMA_REGISTRY_URL, runtime.schemaRegistryUrl());
        } else if (config.getString(EngineConfig.SCHEMA_REGISTRY_URL) == null) {
            throw new PequodCli.UserException("--bootstrap-servers needs --schema-registry too", 2);
        }
        PequodServer server;
        try {
            server = PequodServer.builder().config(config.originals()).config(endpoints).spec(spec).build().start();
        } catch (RuntimeException | InterruptedException e) {
            if (runtime != null) {
                runtime.close();
            }
            throw e;
        }
        printEndpoints(server, spec, dataDir);
        boolean running = server.awaitRunning(Duration.ofMinutes(2));
        System.out.println(running ? "Ready. Try `./pequod put KEY VALUE` and `./pequod get KEY`; Ctrl-C stops."
                : "Started, but the stream applications are not all RUNNING yet: " + server.engine().state());
        CountDownLatch stopped = new CountDownLatch(1);
        EmbeddedRuntime toClose = runtime;
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            System.out.println("Stopping ...");
            Connection.unpublish(dataDir);
            server.close();
            if (toClose != null) {
                toClose.close();
            }
            stopped.countDown();
        }, "pequod-serve-stopper"));
        stopped.await();
        return 0;
    }

    /** Publishes where the server listens (for the client commands) and prints it. */
    private void printEndpoints(PequodServer server, JoinSpec spec, Path dataDir) throws IOException {
        String bootstrap = server.config().getString(EngineConfig.BOOTSTRAP_SERVERS);
        String registry = server.config().getString(EngineConfig.SCHEMA_REGISTRY_URL);
        String bind = server.config().getString(PequodConfig.BIND);
        String url = server.config().httpScheme() + "://" + (bind.equals("0.0.0.0") ? "127.0.0.1" : bind) + ":" + server.httpPort();
        String tls = server.config().getString(PequodConfig.TLS_CERT) == null ? "" : "--tls ";
        String namespace = server.config().getString(EngineConfig.NAMESPACE);
        Connection.publish(dataDir, bootstrap, registry, namespace, url,
                server.engine().partitionRule().format());
        System.out.println("Kafka bootstrap servers: " + bootstrap);
        System.out.println("Schema registry:         " + registry);
        System.out.println("Namespace:               " + namespace + " (tables are topics " + namespace + ".TABLE)");
        System.out.println("Joins:                   " + (joins == null ? "none" : joins + " (" + spec.joins().size() + " joins, views "
                + spec.viewTables() + ")"));
        System.out.println("HTTP API:                " + url + "  (GET /v1/keys/{key}, /v1/scan, /v1/count, /health, /metrics)");
        System.out.println("Console:                 " + url + "/ui/");
        if (server.respPort() >= 0) {
            System.out.println("Redis protocol:          " + bind + ":" + server.respPort() + "  (redis-cli " + tls + "-p " + server.respPort() + ")");
        }
        if (server.mementoPort() >= 0) {
            System.out.println("memento protocol:        " + bind + ":" + server.mementoPort() + (tls.isEmpty() ? "" : "  (TLS)"));
        }
    }
}
