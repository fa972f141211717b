package io.pequod.views.internals.compile;

import io.pequod.schemas.PartitionRule;
import io.pequod.views.internals.processor.FillMark;
import org.apache.kafka.streams.processor.StreamPartitioner;

import java.util.Arrays;

import java.util.Optional;
import java.util.Set;

/** Sends a record to the partition that {@link PartitionRule} gives its key, as writers do. */
public final class RulePartitioner<V> implements StreamPartitioner<byte[], V> {
    private final PartitionRule rule;

    /** @param rule the partitioning rule */
    public RulePartitioner(PartitionRule rule) {
        this.rule = rule;
    }

    @Override
    public Optional<Set<Integer>> partitions(String topic, byte[] key, V value, int numPartitions) {
        if (FillMark.isMarker(key)) { // a partial view's back-fill marker goes to its range's partition
            return Optional.of(Set.of(rule.partition(Arrays.copyOfRange(key, FillMark.KEY_PREFIX.length, key.length), numPartitions)));
        }
        return Optional.of(Set.of(rule.partition(key, numPartitions)));
    }
}
