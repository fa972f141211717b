package io.pequod.ingest;

import io.pequod.schemas.TableTopics;
import io.pequod.schemas.TopicsReady;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.errors.TopicExistsException;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Creates table topics on first use: log-compacted, N partitions, the broker's default replication
 * factor. One creation attempt per topic per process; a topic that already exists is used as is.
 * Either way the first write waits until every partition's leader has opened its log
 * ({@link TopicsReady}).
 */
public final class TopicCreator implements AutoCloseable {
    /** Partitions of a new table topic unless configured. */
    public static final int DEFAULT_PARTITIONS = 8;

    private final int partitions;
    private final Map<String, Object> adminConfig;
    private final Map<String, CompletableFuture<Void>> ensured = new ConcurrentHashMap<>();
    private volatile Admin admin;

    /**
     * @param bootstrapServers Kafka bootstrap servers
     * @param partitions       partitions of new topics
     * @param adminConfig      extra admin client settings
     */
    public TopicCreator(String bootstrapServers, int partitions, Map<String, Object> adminConfig) {
        this.partitions = partitions;
        this.adminConfig = new HashMap<>(adminConfig);
        this.adminConfig.put("bootstrap.servers", bootstrapServers);
    }

    /**
     * @param topic a table topic
     * @return a future completed when the topic exists and its partitions take writes
     */
    public CompletableFuture<Void> ensure(String topic) {
        CompletableFuture<Void> f = ensured.get(topic);
        if (f != null && !f.isCompletedExceptionally()) {
            return f;
        }
        return ensured.compute(topic, (t, old) -> old != null && !old.isCompletedExceptionally() ? old : create(t));
    }

    private CompletableFuture<Void> create(String topic) {
        NewTopic nt = new NewTopic(topic, Optional.of(partitions), Optional.empty()).configs(TableTopics.TABLE_TOPIC_CONFIG);
        CompletableFuture<Void> f = new CompletableFuture<>();
        admin().createTopics(List.of(nt)).all().whenComplete((v, e) -> {
            Throwable cause = e instanceof CompletionException ? e.getCause() : e;
            if (cause == null || cause instanceof TopicExistsException) {
                TopicsReady.await(admin(), List.of(topic)).thenRun(() -> f.complete(null));
            } else {
                f.completeExceptionally(new WriteFailedException("Could not create table topic " + topic + ": "
                        + cause.getMessage(), cause));
            }
        });
        return f;
    }

    private Admin admin() {
        Admin a = admin;
        if (a == null) {
            synchronized (this) {
                if (admin == null) {
                    admin = Admin.create(adminConfig);
                }
                a = admin;
            }
        }
        return a;
    }

    @Override
    public synchronized void close() {
        if (admin != null) {
            admin.close();
            admin = null;
        }
    }
}
