package io.pequod.views.internals.engine;

import io.pequod.schemas.PequodException;
import io.pequod.schemas.TableTopics;
import io.pequod.schemas.TopicsReady;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.internals.Topic;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

/** Topic housekeeping for the engine: create table, dead-letter and meta topics; list tables. */
public final class EngineAdmin implements AutoCloseable {
    private static final long TIMEOUT_S = 60;
    private final Admin admin;
    private final TableTopics topics;

    /**
     * @param config admin client configuration (bootstrap servers at least)
     * @param topics the namespace's topics
     */
    public EngineAdmin(Map<String, Object> config, TableTopics topics) {
        this.admin = Admin.create(config);
        this.topics = topics;
    }

    /**
     * Creates the missing topics of these tables (compacted), the dead-letter topic and the meta topic.
     *
     * @param partitions table to partition count
     */
    public void ensureTopics(Map<String, Integer> partitions) {
        List<NewTopic> wanted = new ArrayList<>();
        partitions.forEach((t, n) -> wanted.add(new NewTopic(topics.tableTopic(t), Optional.of(n), Optional.empty())
                .configs(TableTopics.TABLE_TOPIC_CONFIG)));
        wanted.add(new NewTopic(topics.deadLetters(), Optional.of(1), Optional.empty())
                .configs(Map.of(TopicConfig.RETENTION_MS_CONFIG, Long.toString(TimeUnit.DAYS.toMillis(7)),
                        TopicConfig.MAX_MESSAGE_BYTES_CONFIG, Integer.toString(TableTopics.MAX_RECORD_BYTES))));
        wanted.add(new NewTopic(metaTopic(topics), Optional.of(1), Optional.empty())
                .configs(Map.of(TopicConfig.CLEANUP_POLICY_CONFIG, TopicConfig.CLEANUP_POLICY_COMPACT)));
        Set<String> existing = listTopics();
        wanted.removeIf(nt -> existing.contains(nt.name()));
        create(wanted);
    }

    private void create(List<NewTopic> wanted) {
        if (wanted.isEmpty()) {
            return;
        }
        try {
            admin.createTopics(wanted).all().get(TIMEOUT_S, TimeUnit.SECONDS);
            TopicsReady.await(admin, wanted.stream().map(NewTopic::name).toList()).get(TIMEOUT_S, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            if (!(e.getCause() instanceof TopicExistsException)) {
                throw new PequodException("Could not create topics " + wanted.stream().map(NewTopic::name).toList() + ": "
                        + e.getCause().getMessage(), e.getCause());
            }
        } catch (Exception e) {
            throw new PequodException("Could not create topics: " + e, e);
        }
    }

    /**
     * Creates the missing ones of these compacted topics (changelogs created ahead of their
     * Kafka Streams application, so that other applications can subscribe to them at once).
     *
     * @param partitions partition count by topic name
     */
    public void ensureCompacted(Map<String, Integer> partitions) {
        Set<String> existing = listTopics();
        List<NewTopic> wanted = new ArrayList<>();
        partitions.forEach((t, n) -> {
            if (!existing.contains(t)) {
                wanted.add(new NewTopic(t, Optional.of(n), Optional.empty())
                        .configs(Map.of(TopicConfig.CLEANUP_POLICY_CONFIG, TopicConfig.CLEANUP_POLICY_COMPACT,
                                TopicConfig.MAX_MESSAGE_BYTES_CONFIG, Integer.toString(TableTopics.MAX_RECORD_BYTES))));
            }
        });
        create(wanted);
    }

    /** @return the namespace's meta topic, which records each view's application */
    public static String metaTopic(TableTopics topics) {
        return new EngineNames(topics).metaTopic();
    }

    /**
     * Aborts transactions left hanging on the namespace's topics and the group offsets topic (see
     * {@link HangingTransactions}); failures are logged, not thrown (it is tried again later).
     *
     * @param prefixes name prefixes of the namespace's topics
     */
    public void abortHangingTransactions(List<String> prefixes) {
        try {
            List<String> wanted = new ArrayList<>(List.of(Topic.GROUP_METADATA_TOPIC_NAME)); // internal: not listed
            listTopics().stream().filter(t -> prefixes.stream().anyMatch(t::startsWith)).forEach(wanted::add);
            HangingTransactions.abort(admin, wanted);
        } catch (Exception e) {
            LoggerFactory.getLogger(EngineAdmin.class).warn("Could not look for hanging transactions: {}", e.toString());
        }
    }

    /** @return every topic name */
    public Set<String> listTopics() {
        try {
            return new TreeSet<>(admin.listTopics().names().get(TIMEOUT_S, TimeUnit.SECONDS));
        } catch (Exception e) {
            throw new PequodException("Could not list topics of the Kafka cluster: " + e.getMessage(), e);
        }
    }

    /** @return tables that have a topic in this namespace */
    public Set<String> existingTables() {
        Set<String> out = new TreeSet<>();
        for (String t : listTopics()) {
            topics.tableOf(t).ifPresent(out::add);
        }
        return out;
    }

    /**
     * @param tables tables with topics
     * @return table to partition count
     */
    public Map<String, Integer> partitions(Collection<String> tables) {
        Map<String, Integer> out = new HashMap<>();
        if (tables.isEmpty()) {
            return out;
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(TIMEOUT_S);
        while (true) {
            try {
                Map<String, TopicDescription> d = admin.describeTopics(tables.stream().map(topics::tableTopic).toList())
                        .allTopicNames().get(TIMEOUT_S, TimeUnit.SECONDS);
                for (String t : tables) {
                    out.put(t, d.get(topics.tableTopic(t)).partitions().size());
                }
                return out;
            } catch (ExecutionException e) {
                // Topics just created may take a moment to appear in the metadata.
                if (!(e.getCause() instanceof UnknownTopicOrPartitionException)
                        || System.nanoTime() > deadline) {
                    throw new PequodException("Could not describe table topics " + tables + ": " + e.getCause().getMessage(), e);
                }
            } catch (Exception e) {
                throw new PequodException("Could not describe table topics " + tables + ": " + e.getMessage(), e);
            }
            try {
                Thread.sleep(100);
            } catch (InterruptedException ie) {
                Thread.currentThread().interrupt();
                throw new PequodException("Interrupted while waiting for table topics " + tables, ie);
            }
        }
    }

    /**
     * Deletes an old application's internal topics (best effort).
     *
     * @param applicationId the application id
     */
    public void deleteInternalTopics(String applicationId) {
        List<String> doomed = listTopics().stream().filter(t -> t.startsWith(applicationId + "-")).toList();
        if (!doomed.isEmpty()) {
            admin.deleteTopics(doomed);
        }
    }

    /**
     * @param groupId a consumer group (a Streams application id)
     * @return whether the group has active members
     */
    public boolean hasMembers(String groupId) {
        try {
            return !admin.describeConsumerGroups(List.of(groupId)).all().get(TIMEOUT_S, TimeUnit.SECONDS)
                    .get(groupId).members().isEmpty();
        } catch (Exception e) {
            return false;
        }
    }

    /**
     * @param topicsToRead topics
     * @return the end offset of every partition of those topics
     */
    public Map<TopicPartition, Long> endOffsets(Collection<String> topicsToRead) {
        try {
            Map<TopicPartition, OffsetSpec> q = new HashMap<>();
            for (Map.Entry<String, TopicDescription> e : admin.describeTopics(topicsToRead).allTopicNames()
                    .get(TIMEOUT_S, TimeUnit.SECONDS).entrySet()) {
                e.getValue().partitions().forEach(pi -> q.put(new TopicPartition(e.getKey(), pi.partition()),
                        OffsetSpec.latest()));
            }
            Map<TopicPartition, Long> out = new HashMap<>();
            admin.listOffsets(q).all().get(TIMEOUT_S, TimeUnit.SECONDS).forEach((tp, info) -> out.put(tp, info.offset()));
            return out;
        } catch (Exception e) {
            throw new PequodException("Could not read end offsets of " + topicsToRead + ": " + e.getMessage(), e);
        }
    }

    /**
     * @param partitions partitions
     * @param spec       which offset: earliest or latest
     * @return that offset of each partition
     */
    public Map<TopicPartition, Long> offsets(Collection<TopicPartition> partitions, OffsetSpec spec) {
        try {
            Map<TopicPartition, OffsetSpec> q = new HashMap<>();
            partitions.forEach(tp -> q.put(tp, spec));
            Map<TopicPartition, Long> out = new HashMap<>();
            admin.listOffsets(q).all().get(TIMEOUT_S, TimeUnit.SECONDS).forEach((tp, info) -> out.put(tp, info.offset()));
            return out;
        } catch (Exception e) {
            throw new PequodException("Could not read offsets of " + partitions + ": " + e.getMessage(), e);
        }
    }

    /**
     * @param groupId a consumer group (a Streams application id)
     * @return its committed offsets
     */
    public Map<TopicPartition, Long> committed(String groupId) {
        try {
            Map<TopicPartition, Long> out = new HashMap<>();
            admin.listConsumerGroupOffsets(groupId).partitionsToOffsetAndMetadata().get(TIMEOUT_S, TimeUnit.SECONDS)
                    .forEach((tp, om) -> {
                        if (om != null) {
                            out.put(tp, om.offset());
                        }
                    });
            return out;
        } catch (Exception e) {
            throw new PequodException("Could not read committed offsets of " + groupId + ": " + e.getMessage(), e);
        }
    }

    @Override
    public void close() {
        admin.close();
    }
}
