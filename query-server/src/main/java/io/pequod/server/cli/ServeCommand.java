package io.pequod.server.cli;

import io.pequod.embedded.EmbeddedRuntime;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.nio.file.Files;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;

/**
 * {@code pequod serve}: hosts the runtime until Ctrl-C. Without {@code --bootstrap-servers} it
 * starts the embedded broker and schema registry in {@code --data-dir}, kept across restarts.
 */
@Command(name = "serve", mixinStandardHelpOptions = true,
        description = {"Run a Pequod server until Ctrl-C.",
                "Without --bootstrap-servers, starts an embedded Kafka broker and schema registry in --data-dir."})
final class ServeCommand implements Callable<Integer> {
    @Mixin
    Connection connection;

    @Option(names = "--kafka-port", defaultValue = "0", paramLabel = "PORT",
            description = "Port of the embedded broker on 127.0.0.1; 0 picks a free one. Default: ${DEFAULT-VALUE}.")
    int kafkaPort;

    @Option(names = "--registry-port", defaultValue = "0", paramLabel = "PORT",
            description = "Port of the embedded schema registry on 127.0.0.1; 0 picks a free one. Default: ${DEFAULT-VALUE}.")
    int registryPort;

    @Override
    public Integer call() throws Exception {
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
        Connection.publish(connection.dataDir, bootstrap, registry, connection.namespace);
        System.out.println("Kafka bootstrap servers: " + bootstrap);
        System.out.println("Schema registry:         " + registry);
        System.out.println("Namespace:               " + connection.namespace + " (tables are topics " + connection.namespace + ".TABLE)");
        System.out.println("Ready. Write with `./pequod put KEY VALUE` or `./pequod load FILE`; Ctrl-C stops.");
        CountDownLatch stopped = new CountDownLatch(1);
        EmbeddedRuntime toClose = runtime;
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            System.out.println("Stopping ...");
            Connection.unpublish(connection.dataDir);
            if (toClose != null) {
                toClose.close();
            }
            stopped.countDown();
        }, "pequod-serve-stopper"));
        stopped.await();
        return 0;
    }
}
