package io.pequod.embedded;

import kafka.server.KafkaConfig;
import kafka.server.KafkaRaftServer;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.utils.Time;
import org.apache.kafka.metadata.storage.Formatter;
import org.apache.kafka.server.common.Feature;
import org.apache.kafka.server.common.MetadataVersion;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Properties;
import java.util.concurrent.TimeUnit;

/**
 * A real Kafka broker in KRaft mode (combined broker and controller), run in this JVM: a
 * single-node cluster by default, or one node of a cluster whose controllers are all combined
 * nodes ({@link Builder#cluster}).
 *
 * <p>The log directory is formatted when it is new (no {@code meta.properties}) and reused
 * otherwise, so data survives a restart on the same {@link Builder#dataDir(Path) data
 * directory}. Listeners bind to 127.0.0.1 only; port 0 picks a free port. Settings are those of
 * a development broker: replication factor 1 everywhere (in a cluster: the cluster's replication
 * factor, {@code min.insync.replicas} 2), no automatic topic creation, no initial rebalance delay.
 *
 * <pre>{@code
 * try (EmbeddedKafka kafka = EmbeddedKafka.builder().dataDir(dir).build().start()) {
 *     String bootstrap = kafka.bootstrapServers();
 * }
 * }</pre>
 */
public final class EmbeddedKafka implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(EmbeddedKafka.class);
    private static final Duration READY_TIMEOUT = Duration.ofSeconds(60);

    private final Path dataDir;
    private final boolean deleteOnClose;
    private final int requestedBrokerPort;
    private final Cluster cluster;
    private KafkaRaftServer server;
    private int brokerPort;

    private EmbeddedKafka(Builder b) {
        this.deleteOnClose = b.dataDir == null;
        this.dataDir = b.dataDir;
        this.requestedBrokerPort = b.brokerPort;
        this.cluster = b.cluster;
    }

    /** @return a builder for an embedded broker (defaults: temporary directory, free ports) */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Formats the log directory if needed, starts the broker and waits until it answers.
     *
     * @return this broker, started
     * @throws EmbeddedRuntimeException if the broker cannot start
     */
    public synchronized EmbeddedKafka start() {
        if (server != null) {
            throw new IllegalStateException("Embedded Kafka is already started on " + bootstrapServers());
        }
        long t0 = System.nanoTime();
        Path dir = dataDir != null ? dataDir : createTempDir();
        Path logDir = dir.resolve("kafka-logs");
        // A broker kept in a data directory keeps its ports across restarts: clients, and the
        // transaction coordinator's markers for transactions open at a crash, reach it where it was.
        Properties remembered = remembered(dir);
        brokerPort = requestedBrokerPort != 0 ? requestedBrokerPort : reuse(remembered, "broker.port");
        int controllerPort = cluster != null ? cluster.controllerPort() : reuse(remembered, "controller.port");
        Properties props = brokerProperties(logDir, brokerPort, controllerPort);
        try {
            Files.createDirectories(logDir);
            if (!Files.exists(logDir.resolve("meta.properties"))) {
                format(logDir);
            }
            KafkaConfig config = KafkaConfig.fromProps(props, false);
            server = new KafkaRaftServer(config, Time.SYSTEM);
            server.startup();
            awaitReady();
            remember(dir, brokerPort, controllerPort);
        } catch (Exception e) {
            close();
            throw new EmbeddedRuntimeException("Could not start the embedded Kafka broker in " + logDir
                    + " on 127.0.0.1:" + brokerPort + ": " + e.getMessage(), e);
        }
        LOG.info("Embedded Kafka broker listening on {} (data in {}), started in {} ms",
                bootstrapServers(), logDir, TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0));
        return this;
    }

    /** @return the bootstrap servers string of the running broker, {@code 127.0.0.1:PORT} */
    public String bootstrapServers() {
        return "127.0.0.1:" + brokerPort;
    }

    /** @return the directory that holds the broker's data (cannot be {@code null} once started) */
    public Path dataDir() {
        return dataDir;
    }

    private Path tempDir;
    private static final String PORTS_FILE = "kafka-ports.properties";

    private Properties remembered(Path dir) {
        Properties p = new Properties();
        if (dataDir != null && Files.exists(dir.resolve(PORTS_FILE))) {
            try (InputStream in = Files.newInputStream(dir.resolve(PORTS_FILE))) {
                p.load(in);
            } catch (IOException | IllegalArgumentException e) {
                LOG.warn("Ignoring unreadable {}: {}", dir.resolve(PORTS_FILE), e.toString());
            }
        }
        return p;
    }

    /** @return the port used last time if it is free, else a free one */
    private static int reuse(Properties remembered, String name) {
        try {
            int last = Integer.parseInt(remembered.getProperty(name, "0"));
            if (last > 0 && Ports.isFree(last)) {
                return last;
            }
            if (last > 0) {
                LOG.warn("Port {} of the embedded broker's last run ({}) is taken; using another", last, name);
            }
        } catch (NumberFormatException e) {
            LOG.warn("Ignoring {}={}: not a port", name, remembered.getProperty(name));
        }
        return Ports.free();
    }

    private void remember(Path dir, int broker, int controller) throws IOException {
        if (dataDir == null) {
            return;
        }
        Properties p = new Properties();
        p.setProperty("broker.port", Integer.toString(broker));
        p.setProperty("controller.port", Integer.toString(controller));
        try (OutputStream out = Files.newOutputStream(dir.resolve(PORTS_FILE))) {
            p.store(out, "ports of the embedded broker, used again at its next start");
        }
    }

    private Path createTempDir() {
        try {
            tempDir = Files.createTempDirectory("pequod-kafka-");
            return tempDir;
        } catch (IOException e) {
            throw new EmbeddedRuntimeException("Could not create a temporary directory for Kafka: " + e, e);
        }
    }

    private Properties brokerProperties(Path logDir, int port, int controllerPort) {
        Properties p = new Properties();
        p.put("process.roles", "broker,controller");
        p.put("node.id", Integer.toString(nodeId()));
        p.put("controller.quorum.voters", cluster != null ? cluster.voters() : "1@127.0.0.1:" + controllerPort);
        p.put("listeners", "PLAINTEXT://127.0.0.1:" + port + ",CONTROLLER://127.0.0.1:" + controllerPort);
        p.put("advertised.listeners", "PLAINTEXT://127.0.0.1:" + port);
        p.put("listener.security.protocol.map", "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT");
        p.put("controller.listener.names", "CONTROLLER");
        p.put("inter.broker.listener.name", "PLAINTEXT");
        p.put("log.dirs", logDir.toString());
        String rf = Integer.toString(cluster != null ? cluster.replicationFactor() : 1);
        String minIsr = Integer.toString(cluster != null ? Math.min(2, cluster.replicationFactor()) : 1);
        p.put("num.partitions", "1");
        p.put("default.replication.factor", rf);
        p.put("min.insync.replicas", minIsr);
        p.put("offsets.topic.replication.factor", rf);
        p.put("offsets.topic.num.partitions", "4");
        p.put("transaction.state.log.replication.factor", rf);
        p.put("transaction.state.log.min.isr", minIsr);
        p.put("transaction.state.log.num.partitions", "4");
        p.put("share.coordinator.state.topic.replication.factor", rf);
        p.put("share.coordinator.state.topic.min.isr", minIsr);
        p.put("group.initial.rebalance.delay.ms", "0");
        if (cluster == null) {
            // After a crash the restarted broker cannot register until its old registration is fenced
            // (DuplicateBrokerRegistrationException): 9 s by default. The broker and its controller
            // share this process, so a shorter session (4 heartbeats, as Kafka's defaults) is safe.
            // A cluster's nodes keep Kafka's defaults: another node's pause must not fence this one.
            p.put("broker.heartbeat.interval.ms", "750");
            p.put("broker.session.timeout.ms", "3000");
        }
        p.put("auto.create.topics.enable", "false");
        // Pequod's values go up to 64 MiB: its topics say so, and so does this broker for any topic.
        p.put("message.max.bytes", Integer.toString(65 * 1024 * 1024 + 1024));
        p.put("replica.fetch.max.bytes", Integer.toString(65 * 1024 * 1024 + 1024));
        p.put("log.cleaner.backoff.ms", "1000");
        p.put("log.flush.interval.messages", String.valueOf(Long.MAX_VALUE));
        return p;
    }

    private int nodeId() {
        return cluster != null ? cluster.nodeId() : 1;
    }

    private void format(Path logDir) throws Exception {
        PrintStream quiet = new PrintStream(OutputStream.nullOutputStream());
        new Formatter()
                .setPrintStream(quiet)
                .setSupportedFeatures(Feature.PRODUCTION_FEATURES)
                .setNodeId(nodeId())
                .setClusterId(cluster != null ? cluster.clusterId() : Uuid.randomUuid().toString())
                .setDirectories(List.of(logDir.toString()))
                .setMetadataLogDirectory(logDir.toString())
                .setControllerListenerName("CONTROLLER")
                .setReleaseVersion(MetadataVersion.LATEST_PRODUCTION)
                .run();
    }

    private void awaitReady() throws Exception {
        Properties p = new Properties();
        p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers());
        try (Admin admin = Admin.create(p)) {
            long deadline = System.nanoTime() + READY_TIMEOUT.toNanos();
            while (true) {
                try {
                    if (!admin.describeCluster().nodes().get(5, TimeUnit.SECONDS).isEmpty()) {
                        return;
                    }
                } catch (Exception e) {
                    if (System.nanoTime() > deadline) {
                        throw e;
                    }
                }
                Thread.sleep(50);
            }
        }
    }

    /** Stops the broker and, for a temporary data directory, deletes it. Idempotent. */
    @Override
    public synchronized void close() {
        if (server != null) {
            try {
                server.shutdown();
                server.awaitShutdown();
            } catch (RuntimeException e) {
                LOG.warn("Error while stopping the embedded Kafka broker on {}", bootstrapServers(), e);
            }
            server = null;
        }
        if (deleteOnClose && tempDir != null) {
            Files2.deleteRecursively(tempDir);
            tempDir = null;
        }
    }

    /** Builder for {@link EmbeddedKafka}. */
    public static final class Builder {
        private Path dataDir;
        private int brokerPort;
        private Cluster cluster;

        private Builder() {
        }

        /**
         * Makes this broker one node of a cluster of combined nodes (each a broker and a controller).
         *
         * @param node this node's place in the cluster
         * @return this builder
         */
        public Builder cluster(Cluster node) {
            this.cluster = Objects.requireNonNull(node, "node cannot be null");
            return this;
        }

        /**
         * @param dir directory for the broker's data, kept across restarts (cannot be {@code null});
         *            without it a temporary directory is used and deleted on close
         * @return this builder
         */
        public Builder dataDir(Path dir) {
            this.dataDir = Objects.requireNonNull(dir, "dir cannot be null");
            return this;
        }

        /**
         * @param port the client listener's port on 127.0.0.1, 0 for a free one
         * @return this builder
         */
        public Builder brokerPort(int port) {
            this.brokerPort = Ports.check(port, "brokerPort");
            return this;
        }

        /** @return an embedded broker, not yet started */
        public EmbeddedKafka build() {
            return new EmbeddedKafka(this);
        }
    }

    /**
     * One node of a cluster of combined KRaft nodes on 127.0.0.1.
     *
     * @param clusterId         the cluster's id, the same for every node (a base64 UUID)
     * @param nodeId            this node's id, 1 to the number of nodes
     * @param controllerPort    this node's controller port
     * @param voters            every node's controller, {@code id@127.0.0.1:port,...}
     * @param replicationFactor the replication factor of every topic created with the default
     *                          (and of the internal topics); {@code min.insync.replicas} is 2 when
     *                          it is 2 or more
     */
    public record Cluster(String clusterId, int nodeId, int controllerPort, String voters, int replicationFactor) {
        /** Checks the values. */
        public Cluster {
            Objects.requireNonNull(clusterId, "clusterId cannot be null");
            Objects.requireNonNull(voters, "voters cannot be null");
            Ports.check(controllerPort, "controllerPort");
            if (nodeId < 1 || replicationFactor < 1) {
                throw new IllegalArgumentException("nodeId and replicationFactor must be at least 1: " + nodeId + ", " + replicationFactor);
            }
        }
    }
}
