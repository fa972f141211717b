package io.pequod.schemas;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.RetriableException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Collection;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * Waits until new topics can take writes: every partition's leader answers a ListOffsets request,
 * which it does only once it has opened the partition's log.
 *
 * <p>Why: right after a topic is created, the broker may already hand out metadata naming itself
 * leader while its log is not open yet. An idempotent producer with several requests in flight can
 * then have its first batch to a partition refused (NOT_LEADER_OR_FOLLOWER) and a later one
 * accepted; the broker then refuses the retried first batch forever
 * ({@code OutOfOrderSequenceException}, "0 (incoming seq. number), N (current end sequence
 * number)") until the producer's delivery timeout drops those records. Seen in {@code bench joins}
 * and {@code bench freshness} on the embedded broker. Writers call this once per topic before
 * their first write.
 */
public final class TopicsReady {
    private static final Logger LOG = LoggerFactory.getLogger(TopicsReady.class);

    private static final long RETRY_FOR_NS = TimeUnit.SECONDS.toNanos(10);

    private TopicsReady() {
    }

    /**
     * @param admin  an admin client of the cluster
     * @param topics topics that exist (just created or found)
     * @return a future completed once every partition's leader has answered; never completed
     *     exceptionally: a retriable failure (a topic not yet in the metadata) is tried again for up
     *     to 10 s, any other is logged, and the writes then find out for themselves
     */
    public static CompletableFuture<Void> await(Admin admin, Collection<String> topics) {
        CompletableFuture<Void> done = new CompletableFuture<>();
        attempt(admin, topics, System.nanoTime() + RETRY_FOR_NS, done);
        return done;
    }

    /** Right after creation a topic may be unknown to the broker's metadata for a moment: tried again. */
    private static void attempt(Admin admin, Collection<String> topics, long deadline, CompletableFuture<Void> done) {
        admin.describeTopics(topics).allTopicNames().toCompletionStage()
                .thenCompose(described -> {
                    Map<TopicPartition, OffsetSpec> q = new HashMap<>();
                    for (TopicDescription d : described.values()) {
                        d.partitions().forEach(p -> q.put(new TopicPartition(d.name(), p.partition()), OffsetSpec.latest()));
                    }
                    return admin.listOffsets(q).all().toCompletionStage();
                })
                .whenComplete((v, e) -> {
                    if (e == null) {
                        done.complete(null);
                    } else if (System.nanoTime() < deadline && (e.getCause() instanceof RetriableException
                            || e instanceof RetriableException)) {
                        CompletableFuture.delayedExecutor(100, TimeUnit.MILLISECONDS)
                                .execute(() -> attempt(admin, topics, deadline, done));
                    } else {
                        LOG.warn("Could not check that topics {} take writes yet: {}", topics, e.toString());
                        done.complete(null);
                    }
                });
    }
}
