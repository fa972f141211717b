package io.pequod.views.internals.engine;

import org.apache.kafka.streams.state.RocksDBConfigSetter;
import org.rocksdb.Options;

import java.util.Map;

/**
 * RocksDB options of every Pequod store, on top of Kafka Streams' defaults: a whole-key bloom
 * filter on the memtables. Join and aggregate stores read a key before writing it (to reconcile
 * replays), and most of those keys are new: without the filter each such read walks the
 * memtable's skip list only to find nothing.
 */
public final class StoreOptions implements RocksDBConfigSetter {
    /** Memtable bloom filter size, as a fraction of the write buffer. */
    static final double MEMTABLE_BLOOM_RATIO = 0.05;

    @Override
    public void setConfig(String storeName, Options options, Map<String, Object> configs) {
        options.setMemtablePrefixBloomSizeRatio(MEMTABLE_BLOOM_RATIO);
        options.setMemtableWholeKeyFiltering(true);
    }

    @Override
    public void close(String storeName, Options options) {
        // nothing was allocated
    }
}
