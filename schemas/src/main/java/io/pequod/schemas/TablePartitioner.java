package io.pequod.schemas;

import org.apache.kafka.clients.producer.Partitioner;
import org.apache.kafka.common.Cluster;

import java.util.Map;

/**
 * A Kafka producer {@link Partitioner} applying {@link PartitionRule} to record keys, for users'
 * own producers: {@code partitioner.class=io.pequod.schemas.TablePartitioner}, and optionally
 * {@value #FIXED_WIDTHS_CONFIG}{@code =t:5}.
 */
public final class TablePartitioner implements Partitioner {
    /** Producer setting: tables whose first field has a fixed width, {@code table:width,...}. */
    public static final String FIXED_WIDTHS_CONFIG = "pequod.partition.fixed.widths";

    private PartitionRule rule = PartitionRule.standard();

    @Override
    public void configure(Map<String, ?> configs) {
        Object spec = configs.get(FIXED_WIDTHS_CONFIG);
        if (spec != null) {
            rule = PartitionRule.parse(spec.toString());
        }
    }

    @Override
    public int partition(String topic, Object key, byte[] keyBytes, Object value, byte[] valueBytes, Cluster cluster) {
        if (keyBytes == null) {
            throw new IllegalArgumentException("Pequod table records need a key; topic " + topic + " got a record without one");
        }
        return rule.partition(keyBytes, cluster.partitionCountForTopic(topic));
    }

    @Override
    public void close() {
    }
}
