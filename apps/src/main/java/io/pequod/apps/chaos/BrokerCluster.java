package io.pequod.apps.chaos;

import io.pequod.embedded.KafkaNodeMain;
import io.pequod.embedded.ParentWatchdog;
import io.pequod.embedded.Ports;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.ListTopicsOptions;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.TopicPartitionInfo;
import org.apache.kafka.common.Uuid;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.StringJoiner;
import java.util.concurrent.TimeUnit;

/**
 * A Kafka cluster of combined KRaft nodes on 127.0.0.1, each node a JVM of its own
 * ({@link KafkaNodeMain}) so that one can be killed with SIGKILL and restarted on its data. Every
 * topic created with the brokers' default gets the cluster's replication factor, with
 * {@code min.insync.replicas} 2. Each node's output goes to {@code node-N/broker.log}.
 */
public final class BrokerCluster implements AutoCloseable {
    private static final Duration START_TIMEOUT = Duration.ofMinutes(2);

    private final Path dir;
    private final int replicationFactor;
    private final String clusterId = Uuid.randomUuid().toString();
    private final int[] ports;
    private final int[] controllerPorts;
    private final Process[] nodes;
    private final String voters;
    /** Where each node's log was when it was last launched: its READY line comes after. */
    private final long[] readFrom;
    /** One admin client for the cluster's life (it finds the live nodes by itself); made on first use. */
    private Admin admin;

    private BrokerCluster(Path dir, int size, int replicationFactor) {
        this.dir = dir;
        this.replicationFactor = replicationFactor;
        this.ports = new int[size];
        this.controllerPorts = new int[size];
        this.nodes = new Process[size];
        this.readFrom = new long[size];
        StringJoiner v = new StringJoiner(",");
        for (int i = 0; i < size; i++) {
            ports[i] = Ports.free();
            controllerPorts[i] = Ports.free();
            v.add((i + 1) + "@127.0.0.1:" + controllerPorts[i]);
        }
        this.voters = v.toString();
    }

    /**
     * Starts the nodes side by side (a quorum forms once most are up) and waits until all answer.
     *
     * @param dir               a directory for the nodes' data
     * @param size              the number of nodes
     * @param replicationFactor the topics' replication factor
     * @return the running cluster
     */
    public static BrokerCluster start(Path dir, int size, int replicationFactor) throws IOException, InterruptedException {
        BrokerCluster c = new BrokerCluster(dir, size, replicationFactor);
        try {
            for (int n = 1; n <= size; n++) {
                c.launch(n);
            }
            for (int n = 1; n <= size; n++) {
                c.awaitReady(n);
            }
            return c;
        } catch (IOException | InterruptedException | RuntimeException e) {
            c.close();
            throw e;
        }
    }

    /** @return every node's client address */
    public String bootstrapServers() {
        StringJoiner s = new StringJoiner(",");
        for (int p : ports) {
            s.add("127.0.0.1:" + p);
        }
        return s.toString();
    }

    /** {@code kill -9} of node {@code n} (1-based); waits until its JVM is gone. */
    public void kill(int n) throws InterruptedException {
        Process p = nodes[n - 1];
        p.destroyForcibly();
        p.waitFor(30, TimeUnit.SECONDS);
    }

    /**
     * Starts node {@code n} again on its data and ports.
     *
     * @return the milliseconds until it answered
     */
    public long restart(int n) throws IOException, InterruptedException {
        long t0 = System.nanoTime();
        launch(n);
        awaitReady(n);
        return (System.nanoTime() - t0) / 1_000_000;
    }

    /** @return the node that leads the metadata quorum (the active controller) */
    public int quorumLeader() throws Exception {
        return admin().describeMetadataQuorum().quorumInfo().get(30, TimeUnit.SECONDS).leaderId();
    }

    /**
     * @return the topics (internal ones too) with their replication: {@code topics},
     * {@code partitions}, {@code min_replication_factor}, {@code under_replicated} (fewer in-sync
     * replicas than replicas), {@code under_min_isr} (fewer than 2) and {@code offline} (no leader)
     */
    public Map<String, Long> replication() throws Exception {
        Admin admin = admin();
        var names = admin.listTopics(new ListTopicsOptions().listInternal(true)).names().get(30, TimeUnit.SECONDS);
        Map<String, TopicDescription> topics = admin.describeTopics(names).allTopicNames().get(30, TimeUnit.SECONDS);
        long partitions = 0;
        long minRf = Long.MAX_VALUE;
        long under = 0;
        long underMin = 0;
        long offline = 0;
        for (TopicDescription t : topics.values()) {
            for (TopicPartitionInfo p : t.partitions()) {
                partitions++;
                minRf = Math.min(minRf, p.replicas().size());
                under += p.isr().size() < p.replicas().size() ? 1 : 0;
                underMin += p.isr().size() < Math.min(2, replicationFactor) ? 1 : 0;
                offline += p.leader() == null || p.leader().isEmpty() ? 1 : 0;
            }
        }
        Map<String, Long> out = new LinkedHashMap<>();
        out.put("topics", (long) topics.size());
        out.put("partitions", partitions);
        out.put("min_replication_factor", topics.isEmpty() ? 0 : minRf);
        out.put("under_replicated", under);
        out.put("under_min_isr", underMin);
        out.put("offline", offline);
        return out;
    }

    /**
     * Waits until every partition has all its replicas in sync again.
     *
     * @return the milliseconds waited
     * @throws IllegalStateException if that takes over {@code timeout}
     */
    public long awaitFullyReplicated(Duration timeout) throws Exception {
        long t0 = System.nanoTime();
        while (replication().get("under_replicated") > 0) {
            if (System.nanoTime() - t0 > timeout.toNanos()) {
                throw new IllegalStateException("partitions still under-replicated after " + timeout.toSeconds() + " s: " + replication());
            }
            Thread.sleep(250);
        }
        return (System.nanoTime() - t0) / 1_000_000;
    }

    private synchronized Admin admin() {
        if (admin == null) {
            admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers(),
                    AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 30_000));
        }
        return admin;
    }

    private Path nodeDir(int n) {
        return dir.resolve("node-" + n);
    }

    private void launch(int n) throws IOException {
        Path d = Files.createDirectories(nodeDir(n));
        List<String> c = new ArrayList<>();
        c.add(ProcessHandle.current().info().command().orElse("java"));
        c.addAll(List.of("-Xms64m", "-Xmx512m", "-XX:+UseSerialGC"));
        c.addAll(List.of("-cp", System.getProperty("java.class.path"), ParentWatchdog.class.getName(),
                Long.toString(ProcessHandle.current().pid()), KafkaNodeMain.class.getName(),
                "--data-dir", d.toString(), "--node-id", Integer.toString(n), "--port", Integer.toString(ports[n - 1]),
                "--controller-port", Integer.toString(controllerPorts[n - 1]), "--voters", voters, "--cluster-id", clusterId,
                "--replication-factor", Integer.toString(replicationFactor)));
        readFrom[n - 1] = Files.exists(d.resolve("broker.log")) ? Files.size(d.resolve("broker.log")) : 0;
        nodes[n - 1] = new ProcessBuilder(c).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(d.resolve("broker.log").toFile())).start();
    }

    private void awaitReady(int n) throws IOException, InterruptedException {
        Path log = nodeDir(n).resolve("broker.log");
        long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
        while (true) {
            String text = Files.readString(log);
            if (text.substring((int) Math.min(readFrom[n - 1], text.length())).contains(KafkaNodeMain.READY)) {
                return;
            }
            if (!nodes[n - 1].isAlive() || System.nanoTime() > deadline) {
                throw new IllegalStateException("Kafka node " + n + " did not start within " + START_TIMEOUT.toSeconds() + " s"
                        + (nodes[n - 1].isAlive() ? "" : " (it exited)") + "; see " + log);
            }
            Thread.sleep(100);
        }
    }

    /** Stops every node (SIGTERM, then SIGKILL after 30 s). */
    @Override
    public void close() throws InterruptedException {
        synchronized (this) {
            if (admin != null) {
                admin.close(Duration.ofSeconds(5));
                admin = null;
            }
        }
        for (Process p : nodes) {
            if (p != null && p.isAlive()) {
                p.destroy();
            }
        }
        for (Process p : nodes) {
            if (p != null && !p.waitFor(30, TimeUnit.SECONDS)) {
                p.destroyForcibly();
            }
        }
    }
}
