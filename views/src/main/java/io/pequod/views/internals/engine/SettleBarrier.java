package io.pequod.views.internals.engine;

import io.pequod.views.internals.engine.ViewMetaStore.ViewMeta;
import io.pequod.views.internals.processor.AckCounter;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.ThreadMetadata;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.BooleanSupplier;
import java.util.function.LongSupplier;

/**
 * Waits until everything written to the tables before a call is reflected in this instance's
 * stores, views included. At least once it follows the processors' positions and the producers'
 * acknowledgements (no commit needed); under exactly-once, where topic ends include transaction
 * markers no processor sees, it asks every task to commit and follows committed offsets.
 */
public final class SettleBarrier {
    private static final long COMMIT_CHECK_NANOS = 500_000_000L;

    private final EngineParts parts;
    private final TableLayout layout;
    private final ViewGenerations views;
    private final BooleanSupplier allRunning;

    /**
     * @param parts      the engine's parts
     * @param layout     the tables applications
     * @param views      the view applications
     * @param allRunning whether every application is RUNNING
     */
    public SettleBarrier(EngineParts parts, TableLayout layout, ViewGenerations views, BooleanSupplier allRunning) {
        this.parts = parts;
        this.layout = layout;
        this.views = views;
        this.allRunning = allRunning;
    }

    /**
     * @param deadline {@link System#nanoTime()} to give up at
     * @return whether everything settled in time
     * @throws InterruptedException if interrupted
     */
    public boolean await(long deadline) throws InterruptedException {
        // An application still starting (or rebalancing) has no tasks here yet, and would pass the
        // checks below without having processed anything: a view installed a moment ago, say.
        while (!allRunning.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                return false;
            }
            Thread.sleep(5);
        }
        List<String> all = parts.tables().stream().map(parts.topics()::tableTopic).toList();
        if (!parts.streams().exactlyOnce()) {
            return awaitProcessed(all, deadline) && awaitApplied(all, deadline);
        }
        return awaitCommitted(all, deadline) && awaitApplied(all, deadline);
    }

    /**
     * At least once: each view application has processed its sources up to their current ends and
     * the broker acknowledged every record that caused, then the same for its repartition topics;
     * repeated for views of views.
     */
    private boolean awaitProcessed(List<String> all, long deadline) throws InterruptedException {
        for (int round = 0; round < views.generations().size() + 1; round++) {
            // The tables applications first: the views read what they applied (their changelogs),
            // once the broker has acknowledged it.
            if (parts.runsTables()) {
                if (!awaitApplied(all, deadline)) {
                    return false;
                }
                Set<String> applications = new TreeSet<>(layout.applications());
                applications.add(parts.names().mainTablesApplication());
                for (String a : applications) {
                    if (!awaitAcks(a, deadline)) {
                        return false;
                    }
                }
            }
            Set<String> topics = parts.admin().listTopics();
            for (ViewMeta m : views.generations()) {
                KafkaStreams ks = views.streams(m.view());
                if (ks == null) {
                    continue;
                }
                if (!awaitProcessed(m.application(), ks, views.sourceTopics(m.view()), deadline)) {
                    return false;
                }
                List<String> internal = topics.stream().filter(t -> EngineNames.isRepartitionTopic(m.application(), t)).toList();
                if (!internal.isEmpty() && !awaitProcessed(m.application(), ks, internal, deadline)) {
                    return false;
                }
            }
        }
        return true;
    }

    private boolean awaitProcessed(String application, KafkaStreams ks, List<String> topics, long deadline)
            throws InterruptedException {
        Set<TopicPartition> local = activePartitions(ks);
        Map<String, Map<TopicPartition, Long>> committed = new HashMap<>();
        for (Map.Entry<TopicPartition, Long> e : parts.admin().endOffsets(topics).entrySet()) {
            if (e.getValue() == 0 || !local.contains(e.getKey())) {
                continue; // empty, or another instance's
            }
            TopicPartition tp = e.getKey();
            if (!reached(application, tp, e.getValue(), () -> parts.positions().processed(application, tp.topic(), tp.partition()),
                    committed, deadline)) {
                return false;
            }
        }
        return awaitAcks(application, deadline);
    }

    /**
     * Exactly once: asks every task to commit, then waits until each application's committed
     * offsets reach the ends of what it reads: the tables applications first (their committed work
     * is what the views read), then each view's sources and its repartition topics, which the
     * sources fed while they were read; repeated for views of views and chained internal topics.
     */
    private boolean awaitCommitted(List<String> all, long deadline) throws InterruptedException {
        parts.commitRequests().incrementAndGet();
        for (int round = 0; round < views.generations().size() + 3; round++) {
            if (parts.runsTables()) {
                Map<String, List<String>> byApplication = new LinkedHashMap<>();
                for (String t : all) {
                    byApplication.computeIfAbsent(tablesApplicationOf(t), a -> new ArrayList<>()).add(t);
                }
                for (Map.Entry<String, List<String>> e : byApplication.entrySet()) {
                    if (!awaitCommitted(e.getKey(), e.getValue(), deadline)) {
                        return false;
                    }
                }
            }
            for (ViewMeta m : views.generations()) {
                if (!awaitCommitted(m.application(), views.sourceTopics(m.view()), deadline)) {
                    return false;
                }
                List<String> internal = parts.admin().committed(m.application()).keySet().stream().map(TopicPartition::topic)
                        .filter(t -> EngineNames.isRepartitionTopic(m.application(), t)).distinct().toList();
                parts.commitRequests().incrementAndGet(); // what the sources fed into the repartition topics
                if (!internal.isEmpty() && !awaitCommitted(m.application(), internal, deadline)) {
                    return false;
                }
            }
        }
        return true;
    }

    /**
     * Waits until an application has processed a partition up to {@code end}: its committed offset
     * reached {@code end} (asked once per application and call, in {@code committed}: after a
     * restart the processors have seen nothing of an idle partition), or its processors saw offset
     * {@code end - 1}, or (checked every half second) its committed offset caught up. The commit
     * also covers a last offset no processor sees: a tombstone that compaction removed from a
     * rolled segment of a compacted topic.
     */
    private boolean reached(String application, TopicPartition tp, long end, LongSupplier processed,
                            Map<String, Map<TopicPartition, Long>> committed, long deadline) throws InterruptedException {
        if (committed.computeIfAbsent(application, parts.admin()::committed).getOrDefault(tp, -1L) >= end) {
            return true;
        }
        long nextCommitCheck = System.nanoTime() + COMMIT_CHECK_NANOS;
        while (processed.getAsLong() < end - 1) {
            long now = System.nanoTime();
            if (now > deadline) {
                return false;
            }
            if (now > nextCommitCheck) {
                nextCommitCheck = now + COMMIT_CHECK_NANOS;
                Long done = parts.admin().committed(application).get(tp);
                if (done != null && done >= end) {
                    return true;
                }
            }
            Thread.sleep(1);
        }
        return true;
    }

    /** Waits until the broker acknowledged every record an application's producers sent so far. */
    private boolean awaitAcks(String application, long deadline) throws InterruptedException {
        AckCounter.Counts acks = parts.streams().acks(application);
        while (!acks.quiet()) {
            if (System.nanoTime() > deadline) {
                return false;
            }
            Thread.sleep(1);
        }
        return true;
    }

    /**
     * Waits until the table stores here have applied every table topic partition they own up to
     * its end; other instances' partitions are theirs to wait for ({@code settle?scope=local}).
     */
    private boolean awaitApplied(List<String> all, long deadline) throws InterruptedException {
        Set<TopicPartition> local = localPartitions();
        Map<String, Map<TopicPartition, Long>> committed = new HashMap<>();
        for (Map.Entry<TopicPartition, Long> e : parts.admin().endOffsets(all).entrySet()) {
            TopicPartition tp = e.getKey();
            if (e.getValue() > 0 && local.contains(tp) && !reached(tablesApplicationOf(tp.topic()), tp, e.getValue(),
                    () -> parts.progress().offsets().appliedOffset(tp.topic(), tp.partition()), committed, deadline)) {
                return false;
            }
        }
        return true;
    }

    /**
     * @return the input partitions of every task active here, in every application (the tables
     * applications read the table topics; without them the views do)
     */
    private Set<TopicPartition> localPartitions() {
        Set<TopicPartition> out = new HashSet<>();
        List<KafkaStreams> all = new ArrayList<>(layout.all().values());
        views.generations().forEach(m -> all.add(views.streams(m.view())));
        for (KafkaStreams ks : all) {
            if (ks != null) {
                out.addAll(activePartitions(ks));
            }
        }
        return out;
    }

    private static Set<TopicPartition> activePartitions(KafkaStreams ks) {
        Set<TopicPartition> out = new HashSet<>();
        try {
            for (ThreadMetadata t : ks.metadataForLocalThreads()) {
                t.activeTasks().forEach(task -> out.addAll(task.topicPartitions()));
            }
        } catch (RuntimeException notRunning) {
            // a closing application has no tasks to wait for
        }
        return out;
    }

    /** @return the application that materializes a table topic */
    private String tablesApplicationOf(String topic) {
        return layout.applicationOf(parts.topics().tableOf(topic).orElse(""));
    }

    private boolean awaitCommitted(String application, List<String> topics, long deadline) throws InterruptedException {
        Map<TopicPartition, Long> ends = parts.admin().endOffsets(topics);
        while (true) {
            Map<TopicPartition, Long> done = parts.admin().committed(application);
            if (ends.entrySet().stream().allMatch(e -> e.getValue() == 0 || done.getOrDefault(e.getKey(), 0L) >= e.getValue())) {
                return true;
            }
            if (System.nanoTime() > deadline) {
                return false;
            }
            Thread.sleep(5);
        }
    }
}
