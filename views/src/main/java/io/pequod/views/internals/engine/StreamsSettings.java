package io.pequod.views.internals.engine;

import io.pequod.schemas.TableTopics;
import io.pequod.views.config.EngineConfig;
import io.pequod.views.internals.processor.AckCounter;
import io.pequod.views.internals.processor.ViewFailures;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.streams.CloseOptions;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The Kafka Streams configuration of every application the engine runs, and their creation and
 * closing. The engine's defaults, then the user's {@code streams.*} settings over them.
 */
public final class StreamsSettings {
    private static final Logger LOG = LoggerFactory.getLogger(StreamsSettings.class);

    private final EngineConfig config;
    private final Path stateDir;
    private final String applicationServer;
    private final String instanceId;
    /** Names this engine's producer acknowledgement counters apart from other engines' in the JVM. */
    private final String ackPrefix = UUID.randomUUID() + "/";

    /**
     * @param config            the engine's settings
     * @param stateDir          the Streams state directory
     * @param applicationServer this instance's query endpoint ({@code host:port}), or {@code null}
     * @param instanceId        this instance's identity (static membership), or {@code null} for dynamic membership
     */
    public StreamsSettings(EngineConfig config, Path stateDir, String applicationServer, String instanceId) {
        this.config = config;
        this.stateDir = stateDir;
        this.applicationServer = applicationServer;
        this.instanceId = instanceId;
    }

    /** @return the state directory */
    public Path stateDir() {
        return stateDir;
    }

    /** @return whether the applications process exactly once */
    public boolean exactlyOnce() {
        return config.getBoolean(EngineConfig.EXACTLY_ONCE);
    }

    /** @param applicationId an application @return its producers' acknowledgement counter */
    public AckCounter.Counts acks(String applicationId) {
        return AckCounter.counts(ackPrefix + applicationId);
    }

    /** @param deadLetters the counter that dead letters of views' failing records add to */
    public void countingDeadLettersIn(AtomicLong deadLetters) {
        ViewFailures.register(ackPrefix, deadLetters);
    }

    /**
     * @param applicationId the application id
     * @return its Streams properties
     */
    public Properties properties(String applicationId) {
        Properties p = new Properties();
        p.put(StreamsConfig.APPLICATION_ID_CONFIG, applicationId);
        p.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, config.getString(EngineConfig.BOOTSTRAP_SERVERS));
        p.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString());
        p.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, exactlyOnce() ? StreamsConfig.EXACTLY_ONCE_V2 : StreamsConfig.AT_LEAST_ONCE);
        p.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, config.commitIntervalMs());
        p.put(StreamsConfig.STATESTORE_CACHE_MAX_BYTES_CONFIG, 0);
        p.put(StreamsConfig.ROCKSDB_CONFIG_SETTER_CLASS_CONFIG, StoreOptions.class);
        Integer threads = config.getInt(EngineConfig.STREAM_THREADS);
        p.put(StreamsConfig.NUM_STREAM_THREADS_CONFIG, threads != null ? threads : Runtime.getRuntime().availableProcessors());
        p.put(StreamsConfig.REPLICATION_FACTOR_CONFIG, -1);
        // linger 5 ms (Streams' own default is 100): freshness; no compression: on a local broker it
        // costs more CPU than it saves (streams.producer.compression.type=lz4 across a network).
        p.put(StreamsConfig.producerPrefix(ProducerConfig.LINGER_MS_CONFIG), 5);
        p.put(StreamsConfig.producerPrefix(ProducerConfig.BATCH_SIZE_CONFIG), 128 * 1024);
        p.put(StreamsConfig.producerPrefix(ProducerConfig.COMPRESSION_TYPE_CONFIG), "none");
        // Values up to 64 MiB: in changelogs, views and repartition topics too.
        p.put(StreamsConfig.producerPrefix(ProducerConfig.MAX_REQUEST_SIZE_CONFIG), TableTopics.MAX_RECORD_BYTES);
        p.put(StreamsConfig.producerPrefix(ProducerConfig.BUFFER_MEMORY_CONFIG), 2L * TableTopics.MAX_RECORD_BYTES);
        p.put(StreamsConfig.topicPrefix(TopicConfig.MAX_MESSAGE_BYTES_CONFIG), Integer.toString(TableTopics.MAX_RECORD_BYTES));
        p.put(StreamsConfig.consumerPrefix(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG), "earliest");
        p.put(StreamsConfig.consumerPrefix(ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG), 100);
        // Join results do not depend on the order in which the two sides of a step arrive, so a
        // task need not wait for an empty input partition: lower latency, same final state.
        p.put(StreamsConfig.MAX_TASK_IDLE_MS_CONFIG, -1L);
        // Availability: warm standbys on other instances; a dead instance's tasks move after the
        // session timeout (heartbeats every tenth of it); a new instance's tasks move to it once it
        // caught up within acceptable.recovery.lag (KIP-441), checked every minute (the least allowed).
        p.put(StreamsConfig.NUM_STANDBY_REPLICAS_CONFIG, config.getInt(EngineConfig.STANDBY_REPLICAS));
        int session = config.getInt(EngineConfig.SESSION_TIMEOUT_MS);
        p.put(StreamsConfig.consumerPrefix(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG), session);
        p.put(StreamsConfig.consumerPrefix(ConsumerConfig.HEARTBEAT_INTERVAL_MS_CONFIG), Math.max(500, session / 10));
        p.put(StreamsConfig.PROBING_REBALANCE_INTERVAL_MS_CONFIG, 60_000L);
        p.put(StreamsConfig.ACCEPTABLE_RECOVERY_LAG_CONFIG, 10_000L);
        if (applicationServer != null) {
            p.put(StreamsConfig.APPLICATION_SERVER_CONFIG, applicationServer);
        }
        if (instanceId != null) {
            // Static membership: Streams suffixes it per stream thread. A restarted instance rejoins
            // as the same members and gets its tasks back at once, without waiting for the old
            // members to expire; a clean close still leaves the group.
            p.put(ConsumerConfig.GROUP_INSTANCE_ID_CONFIG, instanceId);
        }
        p.putAll(config.streamsOverrides());
        if ("streams".equalsIgnoreCase(String.valueOf(p.get(StreamsConfig.GROUP_PROTOCOL_CONFIG)))) {
            // Kafka's new rebalance protocol (KIP-1071) refuses static membership; the broker then
            // keeps the session timeout and the standby count (group configs).
            p.remove(ConsumerConfig.GROUP_INSTANCE_ID_CONFIG);
        }
        // A view's failing record is dead-lettered and the other views go on (ViewFailures).
        p.put(StreamsConfig.PROCESSING_EXCEPTION_HANDLER_CLASS_CONFIG, ViewFailures.class);
        p.put(ViewFailures.DEAD_LETTER_TOPIC, config.topics().deadLetters());
        p.put(ViewFailures.COUNTER, ackPrefix);
        // Counts what the producers sent and the broker acknowledged (the settle barrier); not overridable.
        p.put(StreamsConfig.producerPrefix(ProducerConfig.INTERCEPTOR_CLASSES_CONFIG), AckCounter.class.getName());
        p.put(StreamsConfig.producerPrefix(AckCounter.ID), ackPrefix + applicationId);
        return p;
    }

    /**
     * @param applicationId the application id
     * @param topology      its topology
     * @return the application, not started; an unexpected error stops it (and is logged)
     */
    public KafkaStreams create(String applicationId, Topology topology) {
        return create(applicationId, topology, Map.of());
    }

    /**
     * @param applicationId the application id
     * @param topology      its topology
     * @param overrides     settings that replace the engine's (and users' {@code streams.*}) for this application
     * @return the application, not started; an unexpected error stops it (and is logged)
     */
    public KafkaStreams create(String applicationId, Topology topology, Map<String, Object> overrides) {
        Properties p = properties(applicationId);
        p.putAll(overrides);
        KafkaStreams ks = new KafkaStreams(topology, p);
        ks.setUncaughtExceptionHandler(e -> {
            LOG.error("Application {} stopped on an unexpected error; its views stop updating until restarted", applicationId, e);
            return StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse.SHUTDOWN_CLIENT;
        });
        return ks;
    }

    /**
     * Runs jobs side by side, each on a thread of its own, and waits for all: starting an
     * application opens every local store (RocksDB) of its tasks before it returns, so several
     * applications start faster together.
     *
     * @param jobs the jobs
     * @throws RuntimeException the first job's failure, once all have ended
     */
    public static void inParallel(List<Runnable> jobs) {
        if (jobs.size() == 1) {
            jobs.get(0).run();
            return;
        }
        AtomicReference<Throwable> failure = new AtomicReference<>();
        List<Thread> threads = new ArrayList<>();
        for (Runnable job : jobs) {
            Thread t = new Thread(() -> {
                try {
                    job.run();
                } catch (RuntimeException | Error e) {
                    failure.compareAndSet(null, e);
                }
            }, "pequod-start-" + threads.size());
            t.start();
            threads.add(t);
        }
        for (Thread t : threads) {
            try {
                t.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while starting applications", e);
            }
        }
        Throwable f = failure.get();
        if (f instanceof RuntimeException re) {
            throw re;
        }
        if (f instanceof Error err) {
            throw err;
        }
    }

    /** Starts applications side by side (see {@link #inParallel}). @param all the applications */
    public static void startAll(List<KafkaStreams> all) {
        inParallel(all.stream().map(ks -> (Runnable) ks::start).toList());
    }

    /** Starts closing an application, leaving its group (so that a restart does not wait), and returns at once. */
    public static void startClosing(KafkaStreams ks) {
        ks.close(leaving(Duration.ZERO));
    }

    /**
     * Closes an application, leaving its group, and forgets its acknowledgement counter.
     *
     * @param applicationId its id
     * @param ks            the application
     */
    public void close(String applicationId, KafkaStreams ks) {
        ks.close(leaving(Duration.ofSeconds(30)));
        AckCounter.forget(ackPrefix + applicationId);
    }

    /**
     * Closes applications side by side: each close starts a shutdown, then all are awaited.
     *
     * @param all the applications, by id
     */
    public void closeAll(Map<String, KafkaStreams> all) {
        all.values().forEach(StreamsSettings::startClosing); // returns at once
        all.forEach(this::close); // waits for each
    }

    private static CloseOptions leaving(Duration timeout) {
        return CloseOptions.groupMembershipOperation(CloseOptions.GroupMembershipOperation.LEAVE_GROUP).withTimeout(timeout);
    }
}
