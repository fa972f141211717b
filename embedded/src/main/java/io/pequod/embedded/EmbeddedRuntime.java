package io.pequod.embedded;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

/**
 * The all-in-one development runtime: an {@link EmbeddedKafka} broker and an
 * {@link EmbeddedSchemaRegistry}, started in parallel and stopped together. Used by
 * {@code pequod serve} when no cluster is given, and by integration tests (one per test class).
 */
public final class EmbeddedRuntime implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(EmbeddedRuntime.class);

    private final EmbeddedKafka kafka;
    private final EmbeddedSchemaRegistry registry;

    private EmbeddedRuntime(EmbeddedKafka kafka, EmbeddedSchemaRegistry registry) {
        this.kafka = kafka;
        this.registry = registry;
    }

    /**
     * Starts a broker and a registry keeping their data under {@code dataDir}.
     *
     * @param dataDir directory kept across restarts, or {@code null} for temporary storage
     * @return the started runtime
     * @throws EmbeddedRuntimeException if either part does not start (the other is stopped)
     */
    public static EmbeddedRuntime start(Path dataDir) {
        return start(dataDir, 0, 0);
    }

    /**
     * @param dataDir      directory kept across restarts, or {@code null} for temporary storage
     * @param kafkaPort    broker port on 127.0.0.1, 0 for a free one
     * @param registryPort registry port on 127.0.0.1, 0 for a free one
     * @return the started runtime
     * @throws EmbeddedRuntimeException if either part does not start (the other is stopped)
     */
    public static EmbeddedRuntime start(Path dataDir, int kafkaPort, int registryPort) {
        EmbeddedKafka.Builder kb = EmbeddedKafka.builder().brokerPort(kafkaPort);
        if (dataDir != null) {
            kb.dataDir(dataDir);
        }
        EmbeddedKafka kafka = kb.build();
        EmbeddedSchemaRegistry registry = EmbeddedSchemaRegistry.create(dataDir, registryPort);
        CompletableFuture<EmbeddedSchemaRegistry> reg = CompletableFuture.supplyAsync(registry::start);
        try {
            kafka.start();
            reg.join();
        } catch (RuntimeException e) {
            reg.handle((r, x) -> null).join();
            registry.close();
            kafka.close();
            throw e instanceof CompletionException && e.getCause() instanceof RuntimeException re ? re : e;
        }
        LOG.info("Embedded runtime up: kafka {} registry {}", kafka.bootstrapServers(), registry.url());
        return new EmbeddedRuntime(kafka, registry);
    }

    /** @return the broker's bootstrap servers */
    public String bootstrapServers() {
        return kafka.bootstrapServers();
    }

    /** @return the registry's Confluent API URL */
    public String schemaRegistryUrl() {
        return registry.url();
    }

    /** @return the broker */
    public EmbeddedKafka kafka() {
        return kafka;
    }

    /** @return the registry */
    public EmbeddedSchemaRegistry registry() {
        return registry;
    }

    /** Stops the registry and the broker. */
    @Override
    public void close() {
        registry.close();
        kafka.close();
    }
}
