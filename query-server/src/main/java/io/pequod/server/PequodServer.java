package io.pequod.server;

import io.pequod.embedded.Ports;
import io.pequod.ingest.ChangeWriter;
import io.pequod.schemas.Key;
import io.pequod.server.http.HttpFrontEnd;
import io.pequod.server.memento.MementoFrontEnd;
import io.pequod.server.metrics.ServerMetrics;
import io.pequod.server.query.AdminService;
import io.pequod.server.query.DeadLetterReader;
import io.pequod.server.query.PeerClient;
import io.pequod.server.query.QueryLimits;
import io.pequod.server.query.QueryService;
import io.pequod.server.resp.RespFrontEnd;
import io.pequod.views.ViewEngine;
import io.pequod.views.config.EngineConfig;
import io.pequod.views.spec.JoinSpec;
import org.apache.kafka.streams.state.HostInfo;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * One Pequod server instance: the view engine (with this instance's HTTP endpoint advertised to
 * Kafka Streams for routing), a writer, the query service, and the HTTP, Redis and memento front
 * ends. Instances with the same namespace share the partitions and answer for each other.
 */
public final class PequodServer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(PequodServer.class);

    private final PequodConfig cfg;
    private final JoinSpec spec;
    private ViewEngine engine;
    private ChangeWriter writer;
    private QueryService service;
    private HttpFrontEnd http;
    private ServerMetrics metrics;
    private PeerClient peers;
    private RespFrontEnd resp;
    private MementoFrontEnd memento;
    private ScheduledExecutorService refresher;
    private int httpPort;
    private int respPort = -1;
    private int mementoPort = -1;

    private PequodServer(PequodConfig cfg, JoinSpec spec) {
        this.cfg = cfg;
        this.spec = spec;
    }

    /** @return a builder */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Starts the engine and the front ends.
     *
     * @return this server
     * @throws InterruptedException if interrupted while binding
     */
    public PequodServer start() throws InterruptedException {
        int configured = cfg.getInt(PequodConfig.HTTP_PORT);
        httpPort = configured == 0 ? Ports.free() : configured;
        String bind = cfg.getString(PequodConfig.BIND);
        String advertised = cfg.getString(PequodConfig.ADVERTISED_HOST) != null ? cfg.getString(PequodConfig.ADVERTISED_HOST)
                : bind.equals("0.0.0.0") ? "127.0.0.1" : bind;
        Path dataDir = Path.of(cfg.getString(PequodConfig.DATA_DIR));
        engine = ViewEngine.builder().config(cfg.originals()).spec(spec)
                .stateDir(dataDir.resolve("streams").resolve("instance-" + httpPort))
                .applicationServer(advertised + ":" + httpPort)
                .extraTables(tables()).build().start();
        ChangeWriter.Builder w = ChangeWriter.builder().bootstrapServers(cfg.getString(EngineConfig.BOOTSTRAP_SERVERS))
                .schemaRegistryUrl(cfg.getString(EngineConfig.SCHEMA_REGISTRY_URL)).namespace(cfg.getString(EngineConfig.NAMESPACE))
                .partitions(cfg.getInt(EngineConfig.PARTITIONS)).partitionRule(engine.partitionRule())
                .readOnlyTables(t -> engine.spec().materializedViewTables().contains(t))
                .sourceTables(t -> engine.spec().sourceTables().contains(t)).producerConfig("linger.ms", 1);
        cfg.producerOverrides().forEach(w::producerConfig);
        cfg.originalsWithPrefix(EngineConfig.ADMIN_PREFIX).forEach(w::adminConfig);
        writer = w.build();
        peers = new PeerClient(cfg.authToken(), Duration.ofMillis(cfg.getLong(PequodConfig.PEER_TIMEOUT_MS)), cfg.peerTls());
        service = new QueryService(engine, writer, new HostInfo(advertised, httpPort), peers, new QueryLimits(
                cfg.getInt(PequodConfig.QUERY_MAX_LIMIT), cfg.getInt(PequodConfig.QUERY_DEFAULT_LIMIT), cfg.maxWait()));
        metrics = new ServerMetrics(engine);
        DeadLetterReader deadLetters = new DeadLetterReader(cfg.deadLetterTopic(), cfg.consumerConfig());
        http = new HttpFrontEnd(service, new AdminService(engine, service, peers, deadLetters), metrics, cfg.authToken());
        http.start(bind, httpPort, cfg.serverTls());
        startProtocols(bind);
        refresher = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "pequod-table-watch");
            t.setDaemon(true);
            return t;
        });
        long refresh = cfg.getLong(PequodConfig.TABLE_REFRESH_MS);
        refresher.scheduleWithFixedDelay(engine::refreshTables, refresh, refresh, TimeUnit.MILLISECONDS);
        LOG.info("Pequod server up: http {} resp {} memento {}{}", httpPort, respPort, mementoPort, cfg.serverTls() == null ? "" : " (TLS)");
        return this;
    }

    private void startProtocols(String bind) throws InterruptedException {
        if (cfg.getInt(PequodConfig.RESP_PORT) >= 0) {
            resp = new RespFrontEnd(service, metrics, cfg.authToken());
            respPort = resp.start(bind, cfg.getInt(PequodConfig.RESP_PORT), cfg.serverTls());
        }
        if (cfg.getInt(PequodConfig.MEMENTO_PORT) >= 0) {
            memento = new MementoFrontEnd(service, metrics);
            mementoPort = memento.start(bind, cfg.getInt(PequodConfig.MEMENTO_PORT), cfg.serverTls());
        }
    }

    private Set<String> tables() {
        Set<String> t = new HashSet<>(cfg.getList(EngineConfig.TABLES));
        t.add(Key.DEFAULT_TABLE);
        return t;
    }

    /**
     * @param timeout how long to wait
     * @return whether every Streams application is running
     * @throws InterruptedException if interrupted
     */
    public boolean awaitRunning(Duration timeout) throws InterruptedException {
        return engine.awaitRunning(timeout);
    }

    /** @return the HTTP port */
    public int httpPort() {
        return httpPort;
    }

    /** @return the Redis port, or -1 if off */
    public int respPort() {
        return respPort;
    }

    /** @return the memento port, or -1 if off */
    public int mementoPort() {
        return mementoPort;
    }

    /** @return the request metrics of this server's front ends */
    public ServerMetrics metrics() {
        return metrics;
    }

    /** @return the view engine */
    public ViewEngine engine() {
        return engine;
    }

    /** @return the query service */
    public QueryService service() {
        return service;
    }

    /** Stops the front ends, the writer and the engine. */
    @Override
    public void close() {
        if (refresher != null) {
            refresher.shutdownNow();
        }
        for (AutoCloseable c : new AutoCloseable[] {memento, resp, http, peers, writer, engine}) {
            if (c != null) {
                try {
                    c.close();
                } catch (Exception e) {
                    LOG.warn("Error while stopping {}: {}", c.getClass().getSimpleName(), e.toString());
                }
            }
        }
    }

    /** @return the configuration it runs with */
    public PequodConfig config() {
        return cfg;
    }

    /** Builder of {@link PequodServer}: settings ({@link PequodConfig}) and the joins. */
    public static final class Builder {
        private final Map<String, Object> settings = new HashMap<>();
        private JoinSpec spec = JoinSpec.empty();

        private Builder() {
        }

        /** @param s settings by name ({@link PequodConfig}, and pass-through ones) @return this builder */
        public Builder config(Map<String, ?> s) {
            settings.putAll(s);
            return this;
        }

        private Builder set(String name, Object value) {
            settings.put(name, value);
            return this;
        }

        /** @param t tables to create and materialize at start, besides the joins' and kv @return this builder */
        public Builder tables(Set<String> t) {
            return set(EngineConfig.TABLES, String.join(",", t));
        }

        /** @param s Kafka bootstrap servers @return this builder */
        public Builder bootstrapServers(String s) {
            return set(EngineConfig.BOOTSTRAP_SERVERS, Objects.requireNonNull(s, "bootstrapServers cannot be null"));
        }

        /** @param u schema registry URL @return this builder */
        public Builder schemaRegistryUrl(String u) {
            return set(EngineConfig.SCHEMA_REGISTRY_URL, Objects.requireNonNull(u, "schemaRegistryUrl cannot be null"));
        }

        /** @param ns namespace @return this builder */
        public Builder namespace(String ns) {
            return set(EngineConfig.NAMESPACE, Objects.requireNonNull(ns, "namespace cannot be null"));
        }

        /** @param s join spec @return this builder */
        public Builder spec(JoinSpec s) {
            this.spec = Objects.requireNonNull(s, "spec cannot be null");
            return this;
        }

        /** @param d data directory (Streams state under d/streams) @return this builder */
        public Builder dataDir(Path d) {
            return set(PequodConfig.DATA_DIR, Objects.requireNonNull(d, "dataDir cannot be null").toString());
        }

        /** @param host address to listen on (default 127.0.0.1) @return this builder */
        public Builder bind(String host) {
            return set(PequodConfig.BIND, Objects.requireNonNull(host, "bind cannot be null"));
        }

        /** @param host host name other instances reach this one by @return this builder */
        public Builder advertisedHost(String host) {
            return set(PequodConfig.ADVERTISED_HOST, host);
        }

        /** @param p HTTP port (0 = free) @return this builder */
        public Builder httpPort(int p) {
            return set(PequodConfig.HTTP_PORT, p);
        }

        /** @param p Redis port (0 = free, -1 = off) @return this builder */
        public Builder respPort(int p) {
            return set(PequodConfig.RESP_PORT, p);
        }

        /** @param p memento port (0 = free, -1 = off) @return this builder */
        public Builder mementoPort(int p) {
            return set(PequodConfig.MEMENTO_PORT, p);
        }

        /** @param n partitions of new tables @return this builder */
        public Builder partitions(int n) {
            return set(EngineConfig.PARTITIONS, n);
        }

        /** @param eos exactly-once processing @return this builder */
        public Builder exactlyOnce(boolean eos) {
            return set(EngineConfig.EXACTLY_ONCE, eos);
        }

        /** @param token shared secret for HTTP (Bearer) and RESP (AUTH), or null @return this builder */
        public Builder authToken(String token) {
            return set(PequodConfig.AUTH_TOKEN, token);
        }

        /**
         * @param cert PEM certificate chain, served on every port with {@code key} ({@link PequodConfig#TLS_CERT})
         * @param key  PEM private key (unencrypted PKCS#8) @return this builder
         */
        public Builder tls(Path cert, Path key) {
            return set(PequodConfig.TLS_CERT, cert.toString()).set(PequodConfig.TLS_KEY, key.toString());
        }

        /**
         * @return the server, not started
         * @throws org.apache.kafka.common.config.ConfigException naming an invalid setting
         * @throws IllegalStateException if the bootstrap servers or registry are missing
         */
        public PequodServer build() {
            PequodConfig c = new PequodConfig(settings);
            if (c.getString(EngineConfig.BOOTSTRAP_SERVERS) == null || c.getString(EngineConfig.SCHEMA_REGISTRY_URL) == null) {
                throw new IllegalStateException("PequodServer needs bootstrapServers and schemaRegistryUrl");
            }
            return new PequodServer(c, spec);
        }
    }
}
