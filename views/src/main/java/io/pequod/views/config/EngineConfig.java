package io.pequod.views.config;

import io.pequod.schemas.TableTopics;
import org.apache.kafka.common.config.AbstractConfig;
import org.apache.kafka.common.config.ConfigDef.Importance;
import org.apache.kafka.common.config.ConfigDef.Type;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigException;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The view engine's settings, on Kafka's {@link ConfigDef}: every setting named, typed, documented
 * and validated when the configuration is built ({@code Invalid value 0 for configuration
 * pequod.partitions: Value must be at least 1}). Kafka Streams settings pass through under the
 * prefix {@value #STREAMS_PREFIX} (for example {@code streams.producer.linger.ms=1}) and override
 * the engine's own; {@value #ADMIN_PREFIX} and {@value #CONSUMER_PREFIX} reach the engine's admin
 * and meta-topic clients. The server's configuration ({@code PequodConfig}) extends this one.
 */
public final class EngineConfig extends AbstractConfig {
    /** Group of the engine's settings in generated documentation. */
    public static final String GROUP = "Views";
    public static final String BOOTSTRAP_SERVERS = "pequod.bootstrap.servers";
    public static final String SCHEMA_REGISTRY_URL = "pequod.schema.registry.url";
    public static final String NAMESPACE = "pequod.namespace";
    public static final String PARTITIONS = "pequod.partitions";
    public static final String EXACTLY_ONCE = "pequod.exactly.once";
    public static final String COMMIT_INTERVAL_MS = "pequod.commit.interval.ms";
    public static final String STREAM_THREADS = "pequod.stream.threads";
    public static final String TABLES = "pequod.tables";
    public static final String TABLES_APPLICATION = "pequod.tables.application";
    public static final String STATE_DIR = "pequod.state.dir";
    public static final String INSTANCE_ID = "pequod.instance.id";
    public static final String STANDBY_REPLICAS = "pequod.standby.replicas";
    public static final String SESSION_TIMEOUT_MS = "pequod.session.timeout.ms";
    public static final String CREATION_TIMES = "pequod.creation.times";
    public static final String PARTIAL_MAX_RANGES = "pequod.partial.max.ranges";
    /** Kafka Streams settings of every application the engine runs. */
    public static final String STREAMS_PREFIX = "streams.";
    /** Settings of the admin clients. */
    public static final String ADMIN_PREFIX = "admin.";
    /** Settings of the consumers that read the meta topic. */
    public static final String CONSUMER_PREFIX = "consumer.";
    /** Settings of the writer's producer (the server's writes). */
    public static final String PRODUCER_PREFIX = "producer.";

    private static final ConfigDef.Validator NAMESPACE_VALIDATOR = new ConfigDef.Validator() {
        @Override
        public void ensureValid(String name, Object value) {
            if (value == null || !TableTopics.NAMESPACE.matcher(value.toString()).matches()) {
                throw new ConfigException(name, value, "a namespace is 1 to 100 letters, digits, '_' or '-'");
            }
        }

        @Override
        public String toString() {
            return "1 to 100 of [A-Za-z0-9_-]";
        }
    };

    private static final ConfigDef DEFINITION = define(new ConfigDef());

    /**
     * @param originals the settings, by name (unknown names are kept for the prefixes)
     * @throws ConfigException naming the setting whose value is invalid
     */
    public EngineConfig(Map<?, ?> originals) {
        super(DEFINITION, originals, false);
    }

    /** @return the engine's settings (a copy: callers may add theirs) */
    public static ConfigDef definition() {
        return new ConfigDef(DEFINITION);
    }

    /**
     * Adds the engine's settings to a definition.
     *
     * @param def a definition
     * @return {@code def}
     */
    public static ConfigDef define(ConfigDef def) {
        int order = 0;
        return def
                .define(BOOTSTRAP_SERVERS, Type.STRING, null, Importance.HIGH,
                        "Kafka bootstrap servers. Unset: `serve` starts an embedded broker and schema registry in the data directory.",
                        GROUP, ++order, ConfigDef.Width.LONG, "Bootstrap servers")
                .define(SCHEMA_REGISTRY_URL, Type.STRING, null, Importance.HIGH,
                        "URL of a Confluent-compatible schema registry (needed with " + BOOTSTRAP_SERVERS + ").",
                        GROUP, ++order, ConfigDef.Width.LONG, "Schema registry URL")
                .define(NAMESPACE, Type.STRING, TableTopics.DEFAULT_NAMESPACE, NAMESPACE_VALIDATOR, Importance.HIGH, "Namespace: table topics are `<namespace>.<table>`, applications `<namespace>-...`.",
                        GROUP, ++order, ConfigDef.Width.MEDIUM, "Namespace")
                .define(PARTITIONS, Type.INT, 8, ConfigDef.Range.atLeast(1), Importance.MEDIUM,
                        "Partitions of the table topics Pequod creates.", GROUP, ++order, ConfigDef.Width.SHORT, "Partitions")
                .define(EXACTLY_ONCE, Type.BOOLEAN, false, Importance.MEDIUM,
                        "Process exactly once (Streams' exactly_once_v2; about 50 ms more per join hop).",
                        GROUP, ++order, ConfigDef.Width.SHORT, "Exactly once")
                .define(COMMIT_INTERVAL_MS, Type.INT, null, nullOr(ConfigDef.Range.atLeast(1)), Importance.LOW,
                        "Streams commit interval. Unset: 1000 at least once, 100 exactly once.",
                        GROUP, ++order, ConfigDef.Width.SHORT, "Commit interval")
                .define(STREAM_THREADS, Type.INT, null, nullOr(ConfigDef.Range.between(1, 64)), Importance.LOW,
                        "Stream threads of each Streams application. Unset: one per core (idle threads cost "
                                + "little; an application working alone, as a view rebuilding, gets every core).", GROUP, ++order,
                        ConfigDef.Width.SHORT, "Stream threads")
                .define(TABLES, Type.LIST, List.of(), Importance.LOW,
                        "Tables to create and materialize at start besides the joins' (others are picked up when first written).",
                        GROUP, ++order, ConfigDef.Width.LONG, "Tables")
                .define(TABLES_APPLICATION, Type.BOOLEAN, true, Importance.LOW,
                        "Run the tables application (queryable `table-*` stores). false makes a view-only worker.",
                        GROUP, ++order, ConfigDef.Width.SHORT, "Tables application")
                .define(STATE_DIR, Type.STRING, null, Importance.LOW,
                        "Kafka Streams state directory (RocksDB stores). The server uses `<data dir>/streams/instance-<http port>`; "
                                + "a bare engine a temporary directory.",
                        GROUP, ++order, ConfigDef.Width.LONG, "State directory")
                .define(INSTANCE_ID, Type.STRING, null, Importance.LOW,
                        "This instance's identity: the Streams `group.instance.id` of every application it runs (static membership, "
                                + "so that an instance restarted within the session timeout gets its tasks back without a rebalance). "
                                + "Unset: generated once and kept in the state directory.",
                        GROUP, ++order, ConfigDef.Width.MEDIUM, "Instance id")
                .define(STANDBY_REPLICAS, Type.INT, 1, ConfigDef.Range.between(0, 8), Importance.MEDIUM,
                        "Warm standby copies of every store on other instances (`num.standby.replicas`): with several instances, "
                                + "reads fail over to a standby at once when an owner dies, and its tasks move without restoring.",
                        GROUP, ++order, ConfigDef.Width.SHORT, "Standby replicas")
                .define(SESSION_TIMEOUT_MS, Type.INT, 10_000, ConfigDef.Range.between(6_000, 300_000), Importance.LOW,
                        "How long the groups wait for a silent instance before moving its tasks to the others (its standbys); "
                                + "an instance restarted within it gets its tasks back without a rebalance. Kafka's default is 45000.",
                        GROUP, ++order, ConfigDef.Width.SHORT, "Session timeout")
                .define(CREATION_TIMES, Type.BOOLEAN, false, Importance.LOW,
                        "Keep each key's creation time in the tables application, for memento's GETP (-1 otherwise). Costs a "
                                + "store and one changelog record per new key: in `bench sources` the tables application applied new "
                                + "keys 35-45% slower with it.",
                        GROUP, ++order, ConfigDef.Width.SHORT, "Creation times")
                .define(PARTIAL_MAX_RANGES, Type.INT, 100_000, ConfigDef.Range.atLeast(1), Importance.MEDIUM,
                        "Eviction budget of partial views: the materialized ranges this instance keeps (all partial views together). "
                                + "Past it, the ranges least recently read (and not in the last second) are evicted: their rows are "
                                + "erased and no longer maintained, and the next read materializes them again.",
                        GROUP, ++order, ConfigDef.Width.SHORT, "Partial ranges");
    }

    /**
     * @param v a validator
     * @return one that also accepts {@code null} (an unset optional setting)
     */
    public static ConfigDef.Validator nullOr(ConfigDef.Validator v) {
        return new ConfigDef.Validator() {
            @Override
            public void ensureValid(String name, Object value) {
                if (value != null) {
                    v.ensureValid(name, value);
                }
            }

            @Override
            public String toString() {
                return v + " or unset";
            }
        };
    }

    /** @return the namespace's topic names */
    public TableTopics topics() {
        return TableTopics.of(getString(NAMESPACE));
    }

    /** @return the Streams commit interval in effect */
    public int commitIntervalMs() {
        Integer ms = getInt(COMMIT_INTERVAL_MS);
        return ms != null ? ms : getBoolean(EXACTLY_ONCE) ? 100 : 1000;
    }

    /** @return settings given under {@value #STREAMS_PREFIX}, without it */
    public Map<String, Object> streamsOverrides() {
        return originalsWithPrefix(STREAMS_PREFIX);
    }

    /**
     * @param prefix {@value #ADMIN_PREFIX}, {@value #CONSUMER_PREFIX} or {@value #PRODUCER_PREFIX}
     * @return Kafka client settings: the bootstrap servers and the settings given under the prefix, without it
     */
    public Map<String, Object> clientConfig(String prefix) {
        Map<String, Object> m = new HashMap<>(originalsWithPrefix(prefix));
        m.put("bootstrap.servers", getString(BOOTSTRAP_SERVERS));
        return m;
    }
}
