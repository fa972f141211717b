package io.pequod.schemas;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.TopicPartition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Collection;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

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

    private TopicsReady() {
    }

    /**
     * @param admin  an admin client of the cluster
     * @param topics topics that exist (just created or found)
     * @return a future completed once every partition's leader has answered; never completed
     *     exceptionally: a probe that fails is logged, and the writes then find out for themselves
     */
    public static CompletableFuture<Void> await(Admin admin, Collection<String> topics) {
        CompletableFuture<Void> done = new CompletableFuture<>();
        admin.describeTopics(topics).allTopicNames().toCompletionStage()
                .thenCompose(described -> {
                    Map<TopicPartition, OffsetSpec> q = new HashMap<>();
                    for (TopicDescription d : described.values()) {
                        d.partitions().forEach(p -> q.put(new TopicPartition(d.name(), p.partition()), OffsetSpec.latest()));
                    }
                    return admin.listOffsets(q).all().toCompletionStage();
                })
                .whenComplete((v, e) -> {
                    if (e != null) {
                        LOG.warn("Could not check that topics {} take writes yet: {}", topics, e.toString());
                    }
                    done.complete(null);
                });
        return done;
    }
}
