package io.pequod.views;

import io.pequod.schemas.PartitionRule;
import io.pequod.schemas.PequodException;
import io.pequod.views.config.EngineConfig;
import io.pequod.views.spec.JoinSpec;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.UUID;

/**
 * Builder of {@link ViewEngine}: the settings ({@link EngineConfig}, validated by {@link #build}),
 * the joins, and this instance's query endpoint. Shorthands set single settings.
 */
public final class ViewEngineBuilder {
    private final Map<String, Object> settings = new HashMap<>();
    private JoinSpec spec = JoinSpec.empty();
    private String applicationServer;

    ViewEngineBuilder() {
    }

    /**
     * @param s settings by name ({@link EngineConfig}, and pass-through ones under its prefixes)
     * @return this builder
     */
    public ViewEngineBuilder config(Map<String, ?> s) {
        settings.putAll(s);
        return this;
    }

    /** @param servers Kafka bootstrap servers @return this builder */
    public ViewEngineBuilder bootstrapServers(String servers) {
        return set(EngineConfig.BOOTSTRAP_SERVERS, Objects.requireNonNull(servers, "servers cannot be null"));
    }

    /** @param url Confluent-compatible schema registry URL @return this builder */
    public ViewEngineBuilder schemaRegistryUrl(String url) {
        return set(EngineConfig.SCHEMA_REGISTRY_URL, Objects.requireNonNull(url, "url cannot be null"));
    }

    /** @param ns topic namespace @return this builder */
    public ViewEngineBuilder namespace(String ns) {
        return set(EngineConfig.NAMESPACE, ns);
    }

    /** @param s the join spec (cannot be {@code null}) @return this builder */
    public ViewEngineBuilder spec(JoinSpec s) {
        this.spec = Objects.requireNonNull(s, "spec cannot be null");
        return this;
    }

    /** @param dir Kafka Streams state directory (RocksDB stores) @return this builder */
    public ViewEngineBuilder stateDir(Path dir) {
        return set(EngineConfig.STATE_DIR, Objects.requireNonNull(dir, "dir cannot be null").toString());
    }

    /** @param n partitions of table topics the engine creates (default 8) @return this builder */
    public ViewEngineBuilder partitions(int n) {
        return set(EngineConfig.PARTITIONS, n);
    }

    /** @param eos whether to process exactly once @return this builder */
    public ViewEngineBuilder exactlyOnce(boolean eos) {
        return set(EngineConfig.EXACTLY_ONCE, eos);
    }

    /** @param run whether to run the tables applications (false: a view-only worker) @return this builder */
    public ViewEngineBuilder tablesApplication(boolean run) {
        return set(EngineConfig.TABLES_APPLICATION, run);
    }

    /** @param t tables to materialize besides the spec's @return this builder */
    public ViewEngineBuilder extraTables(Set<String> t) {
        return set(EngineConfig.TABLES, String.join(",", t));
    }

    /** @param hostPort this instance's query endpoint, for Streams metadata @return this builder */
    public ViewEngineBuilder applicationServer(String hostPort) {
        this.applicationServer = hostPort;
        return this;
    }

    /**
     * @return the configured instance id, else the one kept in the state directory (created the
     * first time): the same across restarts of this instance, different from every other's
     */
    private static String instanceId(EngineConfig config, Path stateDir) {
        String configured = config.getString(EngineConfig.INSTANCE_ID);
        if (configured != null) {
            return configured;
        }
        Path file = stateDir.resolve("pequod-instance.id");
        try {
            if (Files.exists(file)) {
                String id = Files.readString(file, StandardCharsets.UTF_8).trim();
                if (!id.isEmpty()) {
                    return id;
                }
            }
            Files.createDirectories(stateDir);
            String id = "pequod-" + UUID.randomUUID();
            Files.writeString(file, id + "\n", StandardCharsets.UTF_8);
            return id;
        } catch (IOException e) {
            throw new PequodException("Could not keep this instance's id in " + file + ": " + e.getMessage(), e);
        }
    }

    private ViewEngineBuilder set(String name, Object value) {
        settings.put(name, value);
        return this;
    }

    /**
     * @return the engine, not started
     * @throws org.apache.kafka.common.config.ConfigException if a setting is invalid
     * @throws IllegalStateException                         if the bootstrap servers or registry are missing
     */
    public ViewEngine build() {
        EngineConfig config = new EngineConfig(settings);
        StringBuilder missing = new StringBuilder();
        if (config.getString(EngineConfig.BOOTSTRAP_SERVERS) == null) {
            missing.append(" bootstrapServers");
        }
        if (config.getString(EngineConfig.SCHEMA_REGISTRY_URL) == null) {
            missing.append(" schemaRegistryUrl");
        }
        if (missing.length() > 0) {
            throw new IllegalStateException("ViewEngine needs" + missing);
        }
        String dir = config.getString(EngineConfig.STATE_DIR);
        Path stateDir;
        try {
            stateDir = dir != null ? Path.of(dir) : Files.createTempDirectory("pequod-streams-");
        } catch (IOException e) {
            throw new PequodException("Could not create a state directory: " + e.getMessage(), e);
        }
        PartitionRule rule = PartitionRule.standard();
        for (Map.Entry<String, Integer> e : spec.fixedFirstFieldWidths().entrySet()) {
            rule = rule.withFixedWidth(e.getKey(), e.getValue());
        }
        return new ViewEngine(config, spec, rule, stateDir, applicationServer, instanceId(config, stateDir));
    }
}
