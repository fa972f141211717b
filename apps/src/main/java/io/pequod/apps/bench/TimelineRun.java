package io.pequod.apps.bench;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.pequod.ingest.Progress;
import io.pequod.schemas.ChangeSerde;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ListOffsetsResult;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.streams.CloseOptions;
import org.apache.kafka.streams.KafkaStreams;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;
import java.util.stream.IntStream;

/**
 * How long a timeline takes to reach its two milestones: every derived row in its topic (the view
 * topic, or the DSL's repartition topic to the users' partitions) and every row in its queryable
 * store, where a user can read it. Used for our join and the DSL baselines alike.
 */
final class TimelineRun {
    /** Seconds from the start to each milestone. */
    record Seconds(double toTopic, double toStore) {
        /** Adds {@code name: {seconds_to_topic, input_records_per_sec_to_topic, ...}} to {@code o}. */
        ObjectNode report(ObjectNode o, String name, long inputs, long derived) {
            ObjectNode r = o.putObject(name);
            r.put("seconds_to_topic", round(toTopic));
            r.put("input_records_per_sec_to_topic", Math.round(inputs / toTopic));
            r.put("seconds_to_store", round(toStore));
            r.put("input_records_per_sec_to_store", Math.round(inputs / toStore));
            r.put("derived_records_per_sec_to_store", Math.round(derived / toStore));
            return r;
        }
    }

    private TimelineRun() {
    }

    static double round(double d) {
        return Math.round(d * 1000) / 1000.0;
    }

    /**
     * Waits for both milestones, counting from {@code t0}.
     *
     * @param label   progress label
     * @param topic   the topic whose 8 partitions' end offsets must reach {@code derived}
     * @param stored  rows in the store so far
     */
    static Seconds await(String label, Admin admin, String topic, LongSupplier stored, long derived, long t0) throws Exception {
        Progress bar = new Progress(System.err, "bench joins: " + label, "rows readable", derived, true);
        StallGuard stall = new StallGuard("rows of " + label + " in its topic and store", 2 * derived);
        double toTopic = -1;
        long inTopic = 0;
        while (toTopic < 0 || stored.getAsLong() < derived) {
            Thread.sleep(100);
            if (toTopic < 0) {
                inTopic = endOffsets(admin, topic);
                if (inTopic >= derived) {
                    toTopic = (System.nanoTime() - t0) / 1e9;
                }
            }
            bar.update(stored.getAsLong(), stored.getAsLong());
            stall.progressed(inTopic + stored.getAsLong());
        }
        double toStore = (System.nanoTime() - t0) / 1e9;
        bar.finish(derived, derived);
        return new Seconds(toTopic, toStore);
    }

    static long endOffsets(Admin admin, String topic) throws Exception {
        Map<TopicPartition, OffsetSpec> q = new HashMap<>();
        IntStream.range(0, 8).forEach(i -> q.put(new TopicPartition(topic, i), OffsetSpec.latest()));
        Map<TopicPartition, ListOffsetsResult.ListOffsetsResultInfo> r = admin.listOffsets(q).all().get(30, TimeUnit.SECONDS);
        return r.values().stream().mapToLong(ListOffsetsResult.ListOffsetsResultInfo::offset).sum();
    }

    /**
     * Runs one DSL version over {@code <ns>.s} and {@code <ns>.p} until both milestones; the
     * clock starts when the application is RUNNING.
     */
    static Seconds dsl(String bootstrap, String registry, String ns, DslTimeline.Variant variant, Admin admin, long derived,
                       Map<String, String> settings) throws Exception {
        ChangeSerde changes = new ChangeSerde();
        changes.configure(Map.of(ChangeSerde.SCHEMA_REGISTRY_URL_CONFIG, registry), false);
        AtomicLong rows = new AtomicLong();
        String app = ns + "-" + variant.label().replace('_', '-');
        Path dir = Files.createTempDirectory("pequod-bench-dsl-");
        DslTimeline.createRowsTopic(admin, ns, variant, 8);
        try (JoinBenchmark.TempDir deleting = new JoinBenchmark.TempDir(dir);
             KafkaStreams ks = new KafkaStreams(
                     DslTimeline.topology(ns, changes, variant, 8, (k, live) -> rows.addAndGet(live ? 1 : -1)),
                     DslTimeline.settings(app, bootstrap, dir.toString(), 10L * 1024 * 1024, settings))) {
            ks.start();
            StallGuard starting = new StallGuard(app + " starting (0: not RUNNING)", 1);
            while (ks.state() != KafkaStreams.State.RUNNING) {
                Thread.sleep(5);
                starting.progressed(0);
            }
            Seconds s = await(variant.label(), admin, DslTimeline.rowsTopic(ns, variant), rows::get, derived, System.nanoTime());
            ks.close(CloseOptions.groupMembershipOperation(CloseOptions.GroupMembershipOperation.LEAVE_GROUP));
            return s;
        }
    }
}
