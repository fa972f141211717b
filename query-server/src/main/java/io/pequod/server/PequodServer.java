package io.pequod.server;

import io.pequod.server.metrics.ServerMetrics;
import io.pequod.server.query.QueryLimits;
import io.pequod.server.query.QueryService;
import io.pequod.embedded.Ports;
import io.pequod.ingest.ChangeWriter;
import io.pequod.schemas.Key;
import io.pequod.server.http.HttpFrontEnd;
import io.pequod.server.query.PeerClient;
import io.pequod.server.memento.MementoFrontEnd;
import io.pequod.server.resp.RespFrontEnd;
import io.pequod.views.ViewEngine;
import io.pequod.views.spec.JoinSpec;
import org.apache.kafka.streams.state.HostInfo;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.file.Path;
import java.time.Duration;
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

    private final Builder cfg;
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

    private PequodServer(Builder b) {
        this.cfg = b;
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
        httpPort = cfg.httpPort == 0 ? Ports.free() : cfg.httpPort;
        String advertised = cfg.advertisedHost != null ? cfg.advertisedHost
                : cfg.bind.equals("0.0.0.0") ? "127.0.0.1" : cfg.bind;
        engine = ViewEngine.builder().bootstrapServers(cfg.bootstrapServers).schemaRegistryUrl(cfg.schemaRegistryUrl)
                .namespace(cfg.namespace).spec(cfg.spec).partitions(cfg.partitions).exactlyOnce(cfg.exactlyOnce)
                .stateDir(cfg.dataDir.resolve("streams").resolve("instance-" + httpPort))
                .applicationServer(advertised + ":" + httpPort)
                .extraTables(tables()).build().start();
        writer = ChangeWriter.builder().bootstrapServers(cfg.bootstrapServers).schemaRegistryUrl(cfg.schemaRegistryUrl)
                .namespace(cfg.namespace).partitions(cfg.partitions).partitionRule(engine.partitionRule())
                .readOnlyTables(t -> engine.spec().materializedViewTables().contains(t)).producerConfig("linger.ms", 1).build();
        service = new QueryService(engine, writer, new HostInfo(advertised, httpPort), peers = new PeerClient(cfg.authToken,
                Duration.ofSeconds(15)), QueryLimits.defaults());
        metrics = new ServerMetrics(engine);
        http = new HttpFrontEnd(service, engine, metrics, cfg.authToken);
        http.start(cfg.bind, httpPort);
        if (cfg.respPort >= 0) {
            resp = new RespFrontEnd(service, metrics, cfg.authToken);
            respPort = resp.start(cfg.bind, cfg.respPort);
        }
        if (cfg.mementoPort >= 0) {
            memento = new MementoFrontEnd(service, metrics);
            mementoPort = memento.start(cfg.bind, cfg.mementoPort);
        }
        refresher = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "pequod-table-watch");
            t.setDaemon(true);
            return t;
        });
        refresher.scheduleWithFixedDelay(engine::refreshTables, 10, 10, TimeUnit.SECONDS);
        LOG.info("Pequod server up: http {} resp {} memento {}", httpPort, respPort, mementoPort);
        return this;
    }

    private Set<String> tables() {
        Set<String> t = new java.util.HashSet<>(cfg.tables);
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

    /** Builder of {@link PequodServer}. */
    public static final class Builder {
        private String bootstrapServers;
        private String schemaRegistryUrl;
        private String namespace = "pequod";
        private JoinSpec spec = JoinSpec.empty();
        private Path dataDir = Path.of("pequod-data");
        private String bind = "127.0.0.1";
        private String advertisedHost;
        private int httpPort = 7070;
        private int respPort = 6380;
        private int mementoPort = -1;
        private int partitions = 8;
        private boolean exactlyOnce;
        private String authToken;
        private Set<String> tables = Set.of();

        private Builder() {
        }

        /** @param t tables to create and materialize at start, besides the joins' and kv @return this builder */
        public Builder tables(Set<String> t) {
            this.tables = Set.copyOf(t);
            return this;
        }

        /** @param s Kafka bootstrap servers @return this builder */
        public Builder bootstrapServers(String s) {
            this.bootstrapServers = Objects.requireNonNull(s, "bootstrapServers cannot be null");
            return this;
        }

        /** @param u schema registry URL @return this builder */
        public Builder schemaRegistryUrl(String u) {
            this.schemaRegistryUrl = Objects.requireNonNull(u, "schemaRegistryUrl cannot be null");
            return this;
        }

        /** @param ns namespace @return this builder */
        public Builder namespace(String ns) {
            this.namespace = Objects.requireNonNull(ns, "namespace cannot be null");
            return this;
        }

        /** @param s join spec @return this builder */
        public Builder spec(JoinSpec s) {
            this.spec = Objects.requireNonNull(s, "spec cannot be null");
            return this;
        }

        /** @param d data directory (Streams state under d/streams) @return this builder */
        public Builder dataDir(Path d) {
            this.dataDir = Objects.requireNonNull(d, "dataDir cannot be null");
            return this;
        }

        /** @param host address to listen on (default 127.0.0.1) @return this builder */
        public Builder bind(String host) {
            this.bind = Objects.requireNonNull(host, "bind cannot be null");
            return this;
        }

        /** @param host host name other instances reach this one by @return this builder */
        public Builder advertisedHost(String host) {
            this.advertisedHost = host;
            return this;
        }

        /** @param p HTTP port (0 = free) @return this builder */
        public Builder httpPort(int p) {
            this.httpPort = p;
            return this;
        }

        /** @param p Redis port (0 = free, -1 = off) @return this builder */
        public Builder respPort(int p) {
            this.respPort = p;
            return this;
        }

        /** @param p memento port (0 = free, -1 = off) @return this builder */
        public Builder mementoPort(int p) {
            this.mementoPort = p;
            return this;
        }

        /** @param n partitions of new tables @return this builder */
        public Builder partitions(int n) {
            this.partitions = n;
            return this;
        }

        /** @param eos exactly-once processing @return this builder */
        public Builder exactlyOnce(boolean eos) {
            this.exactlyOnce = eos;
            return this;
        }

        /** @param token shared secret for HTTP (Bearer) and RESP (AUTH), or null @return this builder */
        public Builder authToken(String token) {
            this.authToken = token;
            return this;
        }

        /** @return the server, not started */
        public PequodServer build() {
            if (bootstrapServers == null || schemaRegistryUrl == null) {
                throw new IllegalStateException("PequodServer needs bootstrapServers and schemaRegistryUrl");
            }
            return new PequodServer(this);
        }
    }
}
