package io.pequod.apps.cli;

import io.pequod.embedded.EmbeddedRuntime;
import io.pequod.server.PequodServer;
import io.pequod.views.spec.JoinSpec;
import io.pequod.views.spec.JoinSpecParser;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
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

    @Option(names = "--joins", paramLabel = "FILE", description = "Join spec file (Pequod's join language), e.g. examples/twitter.pq.")
    Path joins;

    @Option(names = "--http-port", defaultValue = "7070", paramLabel = "PORT", description = "HTTP API port (0 = free). Default: ${DEFAULT-VALUE}.")
    int httpPort;

    @Option(names = "--resp-port", defaultValue = "6380", paramLabel = "PORT",
            description = "Redis protocol port (0 = free, -1 = off). Default: ${DEFAULT-VALUE}.")
    int respPort;

    @Option(names = "--memento-port", defaultValue = "-1", paramLabel = "PORT",
            description = "memento text-protocol port (0 = free, -1 = off). Default: off.")
    int mementoPort;

    @Option(names = "--bind", defaultValue = "127.0.0.1", paramLabel = "HOST", description = "Address to listen on. Default: ${DEFAULT-VALUE}.")
    String bind;

    @Option(names = "--advertise", paramLabel = "HOST", description = "Host name other instances use to reach this one. Default: the bind address.")
    String advertise;

    @Option(names = "--auth-token", paramLabel = "SECRET", description = "Require this shared secret (HTTP Bearer token, RESP AUTH).")
    String authToken;

    @Option(names = "--tables", split = ",", paramLabel = "T1,T2", description = "Tables to create and materialize at start (others are picked up when first written).")
    java.util.List<String> tables = new java.util.ArrayList<>();

    @Option(names = "--partitions", defaultValue = "8", paramLabel = "N", description = "Partitions of new tables. Default: ${DEFAULT-VALUE}.")
    int partitions;

    @Option(names = "--exactly-once", description = "Process exactly once (slower: about 50 ms more per join hop).")
    boolean exactlyOnce;

    @Option(names = "--kafka-port", defaultValue = "0", paramLabel = "PORT",
            description = "Port of the embedded broker on 127.0.0.1; 0 picks a free one. Default: ${DEFAULT-VALUE}.")
    int kafkaPort;

    @Option(names = "--registry-port", defaultValue = "0", paramLabel = "PORT",
            description = "Port of the embedded schema registry on 127.0.0.1; 0 picks a free one. Default: ${DEFAULT-VALUE}.")
    int registryPort;

    @Override
    public Integer call() throws Exception {
        JoinSpec spec = joins == null ? JoinSpec.empty() : JoinSpecParser.parse(joins);
        EmbeddedRuntime runtime = null;
        String bootstrap = connection.bootstrapServers;
        String registry = connection.schemaRegistryUrl;
        Files.createDirectories(connection.dataDir);
        if (bootstrap == null) {
            System.out.println("Starting the embedded Kafka broker and schema registry in " + connection.dataDir.toAbsolutePath() + " ...");
            runtime = EmbeddedRuntime.start(connection.dataDir, kafkaPort, registryPort);
            bootstrap = runtime.bootstrapServers();
            registry = runtime.schemaRegistryUrl();
        } else if (registry == null) {
            throw new PequodCli.UserException("--bootstrap-servers needs --schema-registry too", 2);
        }
        PequodServer server;
        try {
            server = PequodServer.builder().bootstrapServers(bootstrap).schemaRegistryUrl(registry).namespace(connection.namespace)
                    .spec(spec).dataDir(connection.dataDir).bind(bind).advertisedHost(advertise).httpPort(httpPort)
                    .respPort(respPort).mementoPort(mementoPort).partitions(partitions).exactlyOnce(exactlyOnce)
                    .authToken(authToken).tables(new java.util.HashSet<>(tables)).build().start();
        } catch (RuntimeException | InterruptedException e) {
            if (runtime != null) {
                runtime.close();
            }
            throw e;
        }
        String url = "http://" + (bind.equals("0.0.0.0") ? "127.0.0.1" : bind) + ":" + server.httpPort();
        Connection.publish(connection.dataDir, bootstrap, registry, connection.namespace, url,
                server.engine().partitionRule().format());
        System.out.println("Kafka bootstrap servers: " + bootstrap);
        System.out.println("Schema registry:         " + registry);
        System.out.println("Namespace:               " + connection.namespace + " (tables are topics " + connection.namespace + ".TABLE)");
        System.out.println("Joins:                   " + (joins == null ? "none" : joins + " (" + spec.joins().size() + " joins, views "
                + spec.viewTables() + ")"));
        System.out.println("HTTP API:                " + url + "  (GET /v1/keys/{key}, /v1/scan, /v1/count, /health, /metrics)");
        if (server.respPort() >= 0) {
            System.out.println("Redis protocol:          " + bind + ":" + server.respPort() + "  (redis-cli -p " + server.respPort() + ")");
        }
        if (server.mementoPort() >= 0) {
            System.out.println("memento protocol:        " + bind + ":" + server.mementoPort());
        }
        boolean running = server.awaitRunning(Duration.ofMinutes(2));
        System.out.println(running ? "Ready. Try `./pequod put KEY VALUE` and `./pequod get KEY`; Ctrl-C stops."
                : "Started, but the stream applications are not all RUNNING yet: " + server.engine().state());
        CountDownLatch stopped = new CountDownLatch(1);
        EmbeddedRuntime toClose = runtime;
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            System.out.println("Stopping ...");
            Connection.unpublish(connection.dataDir);
            server.close();
            if (toClose != null) {
                toClose.close();
            }
            stopped.countDown();
        }, "pequod-serve-stopper"));
        stopped.await();
        return 0;
    }
}
