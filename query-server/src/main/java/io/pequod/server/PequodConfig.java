package io.pequod.server;

import io.netty.handler.ssl.SslContext;
import io.pequod.server.internals.Tls;
import io.pequod.views.config.EngineConfig;
import org.apache.kafka.common.config.AbstractConfig;
import org.apache.kafka.common.config.ConfigDef.Importance;
import org.apache.kafka.common.config.ConfigDef.Range;
import org.apache.kafka.common.config.ConfigDef.Type;
import org.apache.kafka.common.config.ConfigDef.Width;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.common.config.types.Password;

import javax.net.ssl.SSLException;
import java.nio.file.Path;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * Every setting of a Pequod server, on Kafka's {@link ConfigDef}: the view engine's
 * ({@link EngineConfig}), the server's and the embedded runtime's; each named, typed, documented
 * and validated when the configuration is built, so that a bad value stops the start with
 * {@code Invalid value 70000 for configuration pequod.http.port: Value must be no more than 65535}.
 * Kafka clients' settings pass through under the prefixes {@code streams.}, {@code producer.},
 * {@code consumer.} and {@code admin.}. The command line's options set these settings; the
 * README's configuration table is {@link #markdown()}.
 */
public final class PequodConfig extends AbstractConfig {
    public static final String DATA_DIR = "pequod.data.dir";
    public static final String BIND = "pequod.bind";
    public static final String ADVERTISED_HOST = "pequod.advertised.host";
    public static final String HTTP_PORT = "pequod.http.port";
    public static final String RESP_PORT = "pequod.resp.port";
    public static final String MEMENTO_PORT = "pequod.memento.port";
    public static final String AUTH_TOKEN = "pequod.auth.token";
    /** An empty token would let any request in: refused (unset means no authentication). */
    private static final ConfigDef.Validator NON_EMPTY_SECRET = new ConfigDef.Validator() {
        @Override
        public void ensureValid(String name, Object value) {
            if (value instanceof Password p && p.value().isEmpty()) {
                throw new ConfigException(name, "(empty)", "an empty token would let anyone in; leave it unset for no authentication");
            }
        }

        @Override
        public String toString() {
            return "non-empty";
        }
    };
    public static final String TLS_CERT = "pequod.tls.cert";
    public static final String TLS_KEY = "pequod.tls.key";
    public static final String TLS_CLIENT_CA = "pequod.tls.client.ca";
    public static final String TLS_TRUST = "pequod.tls.trust";
    public static final String QUERY_DEFAULT_LIMIT = "pequod.query.default.limit";
    public static final String QUERY_MAX_LIMIT = "pequod.query.max.limit";
    public static final String QUERY_MAX_WAIT_MS = "pequod.query.max.wait.ms";
    public static final String PEER_TIMEOUT_MS = "pequod.peer.timeout.ms";
    public static final String TABLE_REFRESH_MS = "pequod.table.refresh.ms";
    public static final String KAFKA_PORT = "pequod.kafka.port";
    public static final String REGISTRY_PORT = "pequod.registry.port";

    private static final String SERVER = "Server";
    private static final String RUNTIME = "Embedded runtime";
    private static final ConfigDef DEFINITION = define(EngineConfig.definition());
    private final Tls tls;

    /**
     * @param originals the settings, by name
     * @throws ConfigException naming the setting whose value is invalid
     */
    public PequodConfig(Map<?, ?> originals) {
        super(DEFINITION, originals, false);
        for (Object key : originals.keySet()) {
            String name = String.valueOf(key);
            boolean passThrough = List.of(EngineConfig.STREAMS_PREFIX, EngineConfig.PRODUCER_PREFIX, EngineConfig.CONSUMER_PREFIX,
                    EngineConfig.ADMIN_PREFIX).stream().anyMatch(name::startsWith);
            if (!DEFINITION.names().contains(name) && !passThrough) {
                throw new ConfigException("Unknown configuration " + name + ": ./pequod config lists every setting; Kafka clients' "
                        + "own settings go under streams., producer., consumer. or admin.");
            }
        }
        if (getInt(QUERY_DEFAULT_LIMIT) > getInt(QUERY_MAX_LIMIT)) {
            throw new ConfigException(QUERY_DEFAULT_LIMIT, getInt(QUERY_DEFAULT_LIMIT), "must not exceed " + QUERY_MAX_LIMIT
                    + " (" + getInt(QUERY_MAX_LIMIT) + ")");
        }
        tls = loadTls();
    }

    /** Reads the TLS files, so that a missing or bad one stops the start naming its setting. */
    private Tls loadTls() {
        String cert = getString(TLS_CERT);
        String key = getString(TLS_KEY);
        if (cert == null || key == null) {
            for (String n : List.of(TLS_CERT, TLS_KEY, TLS_CLIENT_CA, TLS_TRUST)) {
                if (getString(n) != null) {
                    throw new ConfigException(n + " is set but TLS needs both " + TLS_CERT + " and " + TLS_KEY + "; "
                            + (cert == null ? TLS_CERT : TLS_KEY) + " is not set");
                }
            }
            return null;
        }
        X509Certificate[] chain = pem(TLS_CERT, Tls::certificates);
        PrivateKey k = pem(TLS_KEY, Tls::privateKey);
        if (!Tls.matches(k, chain[0])) {
            throw new ConfigException(TLS_KEY, key, "not the private key of the certificate in " + cert);
        }
        X509Certificate[] clientCa = getString(TLS_CLIENT_CA) == null ? null : pem(TLS_CLIENT_CA, Tls::certificates);
        X509Certificate[] trust = getString(TLS_TRUST) == null ? null : pem(TLS_TRUST, Tls::certificates);
        try {
            return new Tls(chain, k, clientCa, trust);
        } catch (SSLException | RuntimeException e) {
            throw new ConfigException(TLS_CERT, cert, "cannot serve TLS with it and " + key + ": " + e.getMessage());
        }
    }

    private <T> T pem(String name, Function<Path, T> read) {
        String file = getString(name);
        try {
            return read.apply(Path.of(file));
        } catch (IllegalArgumentException e) {
            throw new ConfigException(name, file, e.getMessage());
        }
    }

    /** @return the TLS the ports serve, or {@code null} when it is off */
    SslContext serverTls() {
        return tls == null ? null : tls.server();
    }

    /** @return the TLS of calls to other instances, or {@code null} when it is off (they are called over http) */
    SslContext peerTls() {
        return tls == null ? null : tls.peers();
    }

    /** @return {@code https} when the ports serve TLS, else {@code http} */
    public String httpScheme() {
        return tls == null ? "http" : "https";
    }

    /** @return every setting */
    public static ConfigDef definition() {
        return new ConfigDef(DEFINITION);
    }

    private static ConfigDef define(ConfigDef def) {
        int s = 0;
        int r = 0;
        return def
                .define(DATA_DIR, Type.STRING, "pequod-data", Importance.HIGH,
                        "Data directory: Streams state under `streams/`, and the embedded broker and registry when they run.",
                        SERVER, ++s, Width.LONG, "Data directory")
                .define(BIND, Type.STRING, "127.0.0.1", Importance.HIGH, "Address the front ends listen on.",
                        SERVER, ++s, Width.MEDIUM, "Bind address")
                .define(ADVERTISED_HOST, Type.STRING, null, Importance.MEDIUM,
                        "Host name other instances reach this one by. Unset: the bind address (127.0.0.1 for 0.0.0.0).",
                        SERVER, ++s, Width.MEDIUM, "Advertised host")
                .define(HTTP_PORT, Type.INT, 7070, Range.between(0, 65535), Importance.HIGH, "HTTP API port (0: a free one).",
                        SERVER, ++s, Width.SHORT, "HTTP port")
                .define(RESP_PORT, Type.INT, 6380, Range.between(-1, 65535), Importance.HIGH,
                        "Redis protocol port (0: a free one, -1: off).", SERVER, ++s, Width.SHORT, "Redis port")
                .define(MEMENTO_PORT, Type.INT, -1, Range.between(-1, 65535), Importance.LOW,
                        "memento text-protocol port (0: a free one, -1: off).", SERVER, ++s, Width.SHORT, "memento port")
                .define(AUTH_TOKEN, Type.PASSWORD, null, NON_EMPTY_SECRET, Importance.MEDIUM,
                        "Shared secret: HTTP clients send `Authorization: Bearer <token>`, Redis clients AUTH; instances pass it on.",
                        SERVER, ++s, Width.MEDIUM, "Auth token")
                .define(TLS_CERT, Type.STRING, null, new ConfigDef.NonEmptyString(), Importance.MEDIUM,
                        "PEM file of this instance's certificate chain, its own certificate first. With `pequod.tls.key`, the HTTP, "
                                + "Redis and memento ports serve TLS only, and instances call each other over https, checking the "
                                + "advertised host name against the certificate.",
                        SERVER, ++s, Width.LONG, "TLS certificate")
                .define(TLS_KEY, Type.STRING, null, new ConfigDef.NonEmptyString(), Importance.MEDIUM,
                        "PEM file of the certificate's private key: unencrypted PKCS#8 (`BEGIN PRIVATE KEY`; "
                                + "`openssl pkcs8 -topk8 -nocrypt` converts others). Read at start only.",
                        SERVER, ++s, Width.LONG, "TLS key")
                .define(TLS_CLIENT_CA, Type.STRING, null, new ConfigDef.NonEmptyString(), Importance.LOW,
                        "PEM file of CA certificates: every client of the three ports, other instances included, must present a "
                                + "certificate signed by one of them (mutual TLS); instances present their own. Unset: none asked.",
                        SERVER, ++s, Width.LONG, "TLS client CAs")
                .define(TLS_TRUST, Type.STRING, null, new ConfigDef.NonEmptyString(), Importance.LOW,
                        "PEM file of the CA certificates trusted when calling other instances over TLS. Unset: the JDK's "
                                + "default trust store.",
                        SERVER, ++s, Width.LONG, "TLS trusted CAs")
                .define(QUERY_DEFAULT_LIMIT, Type.INT, 100, Range.atLeast(1), Importance.LOW,
                        "Entries a scan answers when it gives no limit.", SERVER, ++s, Width.SHORT, "Default scan limit")
                .define(QUERY_MAX_LIMIT, Type.INT, 10_000, Range.atLeast(1), Importance.LOW,
                        "Largest limit a scan may ask for.", SERVER, ++s, Width.SHORT, "Largest scan limit")
                .define(QUERY_MAX_WAIT_MS, Type.LONG, 5_000L, Range.atLeast(1), Importance.LOW,
                        "How long a read waits for the writes it names (tokens) before answering 503.",
                        SERVER, ++s, Width.SHORT, "Read wait")
                .define(PEER_TIMEOUT_MS, Type.LONG, 5_000L, Range.atLeast(1), Importance.LOW,
                        "Time limit of a read or write call to another instance; one that does not answer in time is taken for "
                                + "down and its partitions are read from standbys until its /health answers UP.",
                        SERVER, ++s, Width.SHORT, "Peer timeout")
                .define(TABLE_REFRESH_MS, Type.LONG, 10_000L, Range.atLeast(100), Importance.LOW,
                        "How often the server looks for new table topics and joins installed by other instances.",
                        SERVER, ++s, Width.SHORT, "Table refresh")
                .define(KAFKA_PORT, Type.INT, 0, Range.between(0, 65535), Importance.LOW,
                        "Port of the embedded broker on 127.0.0.1 (0: a free one).", RUNTIME, ++r, Width.SHORT, "Broker port")
                .define(REGISTRY_PORT, Type.INT, 0, Range.between(0, 65535), Importance.LOW,
                        "Port of the embedded schema registry on 127.0.0.1 (0: a free one).", RUNTIME, ++r, Width.SHORT,
                        "Registry port");
    }

    /** @return the auth token, or {@code null} */
    public String authToken() {
        Password p = getPassword(AUTH_TOKEN);
        return p == null ? null : p.value();
    }

    /** @return the settings of the writer's producer ({@code producer.*}, without the prefix) */
    public Map<String, Object> producerOverrides() {
        return originalsWithPrefix(EngineConfig.PRODUCER_PREFIX);
    }

    /** @return the settings of the server's own consumers: the bootstrap servers and those given under {@code consumer.} */
    public Map<String, Object> consumerConfig() {
        Map<String, Object> m = new java.util.HashMap<>(originalsWithPrefix(EngineConfig.CONSUMER_PREFIX));
        m.put("bootstrap.servers", getString(EngineConfig.BOOTSTRAP_SERVERS));
        return m;
    }

    /** @return the dead-letter topic of the namespace */
    public String deadLetterTopic() {
        return io.pequod.schemas.TableTopics.of(getString(EngineConfig.NAMESPACE)).deadLetters();
    }

    /** @return the read wait */
    public Duration maxWait() {
        return Duration.ofMillis(getLong(QUERY_MAX_WAIT_MS));
    }

    /**
     * The configuration table of the README: every setting with its type, default, valid values
     * and description, grouped as defined, then the pass-through prefixes.
     *
     * @return a Markdown table
     */
    public static String markdown() {
        StringBuilder sb = new StringBuilder("| Setting | Type | Default | Valid values | Description |\n|---|---|---|---|---|\n");
        List<String> groups = DEFINITION.groups();
        List<ConfigDef.ConfigKey> keys = DEFINITION.configKeys().values().stream()
                .sorted(Comparator.comparingInt((ConfigDef.ConfigKey k) -> groups.indexOf(k.group)).thenComparingInt(k -> k.orderInGroup))
                .toList();
        for (ConfigDef.ConfigKey k : keys) {
            sb.append("| `").append(k.name).append("` | ").append(k.type.name().toLowerCase()).append(" | ")
                    .append(defaultOf(k)).append(" | ").append(k.validator == null ? "" : k.validator.toString().replace("|", "\\|"))
                    .append(" | ").append(k.documentation.replace("|", "\\|")).append(" |\n");
        }
        sb.append("| `streams.*` | | | | Kafka Streams settings of every application (e.g. `streams.producer.linger.ms`); "
                + "they override the engine's. |\n");
        sb.append("| `producer.*` | | | | The server's writer and meta-topic producers (e.g. `producer.linger.ms`). |\n");
        sb.append("| `consumer.*` | | | | The engine's meta-topic consumers. |\n");
        sb.append("| `admin.*` | | | | The admin clients of the engine and the writer (topic creation). |\n");
        return sb.toString();
    }

    private static String defaultOf(ConfigDef.ConfigKey k) {
        if (!k.hasDefault() || k.defaultValue == null) {
            return "";
        }
        if (k.defaultValue instanceof List<?> l) {
            return l.isEmpty() ? "" : "`" + l.stream().map(Object::toString).collect(Collectors.joining(",")) + "`";
        }
        return "`" + k.defaultValue + "`";
    }
}
