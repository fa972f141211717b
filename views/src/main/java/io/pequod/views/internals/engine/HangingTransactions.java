package io.pequod.views.internals.engine;

import org.apache.kafka.clients.admin.AbortTransactionSpec;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.DescribeProducersResult.PartitionProducerState;
import org.apache.kafka.clients.admin.ListTransactionsOptions;
import org.apache.kafka.clients.admin.ProducerState;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.admin.TransactionDescription;
import org.apache.kafka.clients.admin.TransactionListing;
import org.apache.kafka.clients.admin.TransactionState;
import org.apache.kafka.common.TopicPartition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * Finds and aborts hanging transactions (as {@code kafka-transactions.sh find-hanging} does): a
 * partition holding an open transaction that its coordinator no longer knows as open. Seen here
 * after a {@code kill -9} of the single embedded instance under exactly-once: the coordinator came
 * back believing a transaction complete whose marker never reached the group's offsets partition,
 * and the restarted application waited for ever for "unstable offsets" to clear, its views frozen.
 * Only transactions whose last write is older than {@link #MIN_AGE_MS} (beyond Streams'
 * transaction timeout) are touched, so a live one is never aborted.
 */
final class HangingTransactions {
    private static final Logger LOG = LoggerFactory.getLogger(HangingTransactions.class);
    static final long MIN_AGE_MS = 15_000;
    private static final long TIMEOUT_S = 30;
    private static final Set<TransactionState> OPEN =
            Set.of(TransactionState.ONGOING, TransactionState.PREPARE_COMMIT, TransactionState.PREPARE_ABORT);

    private HangingTransactions() {
    }

    /**
     * @param admin  an admin client
     * @param topics the topics to look at (the group offsets topic among them)
     * @return how many transactions were aborted
     */
    static int abort(Admin admin, Collection<String> topics) throws Exception {
        List<TopicPartition> partitions = new ArrayList<>();
        for (TopicDescription d : admin.describeTopics(topics).allTopicNames().get(TIMEOUT_S, TimeUnit.SECONDS).values()) {
            d.partitions().forEach(p -> partitions.add(new TopicPartition(d.name(), p.partition())));
        }
        Map<TopicPartition, PartitionProducerState> states = admin.describeProducers(partitions).all().get(TIMEOUT_S, TimeUnit.SECONDS);
        long now = System.currentTimeMillis();
        int aborted = 0;
        for (Map.Entry<TopicPartition, PartitionProducerState> e : states.entrySet()) {
            for (ProducerState p : e.getValue().activeProducers()) {
                if (p.currentTransactionStartOffset().isEmpty() || now - p.lastTimestamp() < MIN_AGE_MS
                        || stillOpen(admin, e.getKey(), p)) {
                    continue;
                }
                LOG.warn("Aborting a hanging transaction of producer {} (epoch {}) on {}, open since offset {}: its coordinator "
                        + "no longer has it open", p.producerId(), p.producerEpoch(), e.getKey(), p.currentTransactionStartOffset().getAsLong());
                admin.abortTransaction(new AbortTransactionSpec(e.getKey(), p.producerId(), (short) p.producerEpoch(),
                        p.coordinatorEpoch().orElse(-1))).all().get(TIMEOUT_S, TimeUnit.SECONDS);
                aborted++;
            }
        }
        return aborted;
    }

    /** @return whether the producer's coordinator has this transaction open, with this partition in it */
    private static boolean stillOpen(Admin admin, TopicPartition tp, ProducerState p) throws Exception {
        Collection<TransactionListing> listed = admin.listTransactions(new ListTransactionsOptions()
                .filterProducerIds(Set.of(p.producerId()))).all().get(TIMEOUT_S, TimeUnit.SECONDS);
        for (TransactionListing l : listed) {
            TransactionDescription d = admin.describeTransactions(List.of(l.transactionalId())).all()
                    .get(TIMEOUT_S, TimeUnit.SECONDS).get(l.transactionalId());
            if (d != null && d.producerId() == p.producerId() && OPEN.contains(d.state()) && d.topicPartitions().contains(tp)) {
                return true;
            }
        }
        return false;
    }
}
