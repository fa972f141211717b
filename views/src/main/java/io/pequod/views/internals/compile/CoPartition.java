package io.pequod.views.internals.compile;

import io.pequod.schemas.PartitionRule;
import io.pequod.views.internals.plan.JoinPlan;
import io.pequod.views.spec.Pattern;
import org.apache.kafka.streams.processor.StreamPartitioner;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * A join source whose table is already partitioned by the step's join slot: its pattern starts
 * {@code table|<slot>} (then a separator, the end, or — for fixed-width tables — the next slot),
 * and the step joins on that one slot. Its records can be joined in the tasks that read its topic;
 * the other side is repartitioned to the same partitions by rebuilding the partition key
 * {@code table|value} from the join key.
 *
 * @param table     the source's table
 * @param prefix    the literal before the slot, {@code table|}
 */
record CoPartition(String table, byte[] prefix) {
    static CoPartition of(JoinPlan plan, int source, int step) {
        int[] slots = plan.stepSlots(step);
        if (slots.length != 1) {
            return null;
        }
        Pattern p = plan.pattern(source);
        List<Pattern.Element> es = p.elements();
        if (es.size() < 2 || !(es.get(0) instanceof Pattern.Literal lit) || !lit.text().equals(p.table() + "|")
                || !(es.get(1) instanceof Pattern.Slot slot) || !slot.name().equals(plan.slots().get(slots[0]))) {
            return null;
        }
        boolean separated = es.size() == 2 || es.get(2) instanceof Pattern.Literal next && next.text().startsWith("|");
        boolean fixedFirst = es.size() > 2 && es.get(2) instanceof Pattern.Slot && slot.fixed();
        if (!separated && !fixedFirst) {
            return null;
        }
        return new CoPartition(p.table(), lit.text().getBytes(StandardCharsets.UTF_8));
    }

    /** @return a partitioner sending a join-keyed delta to the partition of {@code table|value} */
    <V> StreamPartitioner<byte[], V> partitioner(PartitionRule rule) {
        return new StreamPartitioner<>() {
            @Override
            public Optional<Set<Integer>> partitions(String topic, byte[] key, V value, int numPartitions) {
                ByteBuffer b = ByteBuffer.wrap(key);
                int n = b.getInt();
                byte[] pk = new byte[prefix.length + n];
                System.arraycopy(prefix, 0, pk, 0, prefix.length);
                b.get(pk, prefix.length, n);
                return Optional.of(Set.of(rule.partition(pk, numPartitions)));
            }
        };
    }
}
