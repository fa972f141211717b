package io.pequod.schemas;

import org.apache.avro.Schema;

import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A client of Confluent's Schema Registry REST API (also served by Apicurio under
 * {@code /apis/ccompat/v7}): register a schema under a subject, fetch a schema by id, check and
 * set compatibility. Ids and schemas are cached, so steady-state serialization makes no request.
 *
 * <p>URLs of the form {@code mem://NAME} give an in-process registry with the same id and
 * compatibility rules (BACKWARD), shared by name within the JVM, for topology unit tests that run
 * without a broker (as Confluent's {@code mock://}). Implementations are thread-safe.
 */
public interface SchemaRegistryClient {
    /** Prefix of in-process registry URLs. */
    String IN_MEMORY_PREFIX = "mem://";

    /**
     * @param baseUrl the registry's URL, e.g. {@code http://127.0.0.1:8081} or {@code mem://test}
     * @param timeout the time limit of each request (cannot be {@code null})
     * @return a new client with its own caches
     */
    static SchemaRegistryClient create(String baseUrl, Duration timeout) {
        Objects.requireNonNull(baseUrl, "baseUrl cannot be null");
        if (baseUrl.startsWith(IN_MEMORY_PREFIX)) {
            return InMemorySchemaRegistry.named(baseUrl);
        }
        return new HttpSchemaRegistryClient(baseUrl, timeout);
    }

    /**
     * @param baseUrl the registry's URL (cannot be {@code null})
     * @return one client per URL for this JVM, so that serializers share its caches
     */
    static SchemaRegistryClient shared(String baseUrl) {
        return Shared.CLIENTS.computeIfAbsent(baseUrl, u -> create(u, Duration.ofSeconds(10)));
    }

    /** @return the registry's URL */
    String url();

    /**
     * Registers {@code schema} under {@code subject} (or finds it registered) and returns its id.
     *
     * @param subject the subject, e.g. {@code pequod.t-value} (cannot be {@code null})
     * @param schema  the schema (cannot be {@code null})
     * @return the schema's id
     * @throws SchemaRegistryException if the registry is unreachable or rejects the schema
     *                                 ({@link SchemaRegistryException#isIncompatible()} for 409)
     */
    int register(String subject, Schema schema);

    /**
     * @param id a schema id from a record's header
     * @return the schema
     * @throws SchemaRegistryException if the registry is unreachable or does not know the id
     */
    Schema schemaById(int id);

    /**
     * @param subject the subject (cannot be {@code null})
     * @param schema  a candidate schema (cannot be {@code null})
     * @return whether the registry would accept {@code schema} as the subject's next version
     * @throws SchemaRegistryException if the registry is unreachable or fails
     */
    boolean isCompatible(String subject, Schema schema);

    /**
     * @param subject the subject (cannot be {@code null})
     * @param level   {@code BACKWARD}, {@code FORWARD}, {@code FULL}, {@code NONE} or a transitive variant
     * @throws SchemaRegistryException if the registry is unreachable or refuses
     */
    void setCompatibility(String subject, String level);

    /** Holder of shared clients. */
    final class Shared {
        static final Map<String, SchemaRegistryClient> CLIENTS = new ConcurrentHashMap<>();

        private Shared() {
        }
    }
}
