package io.pequod.views.internals.compile;

import io.pequod.schemas.TableTopics;
import io.pequod.views.internals.plan.JoinPlan;
import io.pequod.views.internals.processor.Activations;
import io.pequod.views.internals.processor.MatchProcessor;
import io.pequod.views.internals.processor.SourceOutput;
import io.pequod.views.internals.processor.TupleDelta;
import io.pequod.views.spec.PartialRange;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.utils.Utils;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.KStream;
import org.apache.kafka.streams.kstream.Named;
import org.apache.kafka.streams.processor.StreamPartitioner;
import org.apache.kafka.streams.processor.api.ProcessorSupplier;
import org.apache.kafka.streams.state.Stores;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.ToIntFunction;
import java.util.function.UnaryOperator;

/**
 * The parts of a tables topology that make a view partial ({@link Activations}): its activation
 * log, read in the tasks of its driving table; the gate on that table's changes; and where the
 * back-fill's markers must go so that they follow its rows ({@link MarkerRoute}).
 */
public final class PartialTopology {
    private PartialTopology() {
    }

    /** @param view a partial view @return its activation log's topic, partitioned like its driving table */
    public static String activationTopic(TableTopics topics, String view) {
        return topics.namespace() + "-activations-" + view;
    }

    /** @param view a partial view @return its gate store: the driving prefixes of its materialized ranges */
    public static String gateStore(String view) {
        return view + "-active";
    }

    /**
     * A partial view's inputs: its driving table's changes pass its gate, and its activation log
     * (read in the same tasks as that table) back-fills and evicts ranges.
     *
     * @param tracked wraps the log's processors as the factory wraps every processor reading a topic
     * @return the deltas the view's joins read, the driving table's replaced by the gated and back-filled ones
     */
    static Map<String, KStream<byte[], SourceOutput>> inputs(StreamsBuilder b, TableTopics topics, String view, PartialRange r,
            Map<String, KStream<byte[], SourceOutput>> deltas, MarkerRoute route,
            UnaryOperator<ProcessorSupplier<byte[], byte[], byte[], SourceOutput>> tracked) {
        String gate = gateStore(view);
        String table = TopologyFactory.tableStore(r.table());
        b.addStateStore(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(gate), Serdes.Bytes(), Serdes.ByteArray()));
        KStream<byte[], SourceOutput> log = b.stream(activationTopic(topics, view),
                        Consumed.with(Serdes.ByteArray(), Serdes.ByteArray()).withName(view + "-read-activations"))
                .process(tracked.apply(() -> new Activations.Log(r, table, gate, route)), Named.as(view + "-activations"), table, gate);
        KStream<byte[], SourceOutput> gated = deltas.get(r.table())
                .process(() -> new Activations.Gate(r, gate), Named.as(view + "-gate"), gate);
        Map<String, KStream<byte[], SourceOutput>> out = new LinkedHashMap<>(deltas);
        out.put(r.table(), gated.merge(log, Named.as(view + "-backfill")));
        return out;
    }

    /**
     * Where a partial view's driving rows go from its activation processor: the partition of the
     * first join step that each reaches, as the join's repartitioning sends it (set when the join is
     * built; without a repartition on the driving side, every row stays in its task: one place).
     */
    static final class MarkerRoute implements ToIntFunction<byte[]> {
        private final JoinPlan plan;
        private final int source;
        private StreamPartitioner<byte[], TupleDelta> partitioner;
        private int partitions;

        MarkerRoute(JoinPlan plan, int source) {
            this.plan = plan;
            this.source = source;
        }

        /** @return the driving source's index in the join */
        int source() {
            return source;
        }

        void via(StreamPartitioner<byte[], TupleDelta> p, int n) {
            this.partitioner = p;
            this.partitions = n;
        }

        @Override
        public int applyAsInt(byte[] rowKey) {
            byte[] k = partitioner == null || plan.sourceCount() < 2 ? null : MatchProcessor.joinKey(plan, source, rowKey);
            return k == null ? 0 : partitioner.partitions("", k, null, partitions).orElseThrow().iterator().next();
        }
    }

    /** The partitioner both sides of a partial view's join step use when neither is partitioned by the join slot: Kafka's default. */
    static final class KeyHash implements StreamPartitioner<byte[], TupleDelta> {
        @Override
        public Optional<Set<Integer>> partitions(String topic, byte[] key, TupleDelta value, int numPartitions) {
            return Optional.of(Set.of(Utils.toPositive(Utils.murmur2(key)) % numPartitions));
        }
    }
}
