package io.pequod.views.internals.engine;

import org.apache.kafka.streams.state.RocksDBConfigSetter;
import org.rocksdb.Options;

import java.util.Map;

/**
 * RocksDB options of every Pequod store, on top of Kafka Streams' defaults: a whole-key bloom
 * filter on the memtables, and a quicker open. Join and aggregate stores read a key before writing it (to reconcile
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
        // Kafka Streams 4 opens every store of every task directory when an application starts (to
        // learn their offsets), closes them, then opens its tasks' again: a restart opens each store
        // twice. Skipping the per-file checks on open (statistics from each SST's properties, SST
        // sizes against the manifest) cut opening 148 stores of a restarted instance by 30%
        // (0.70 -> 0.48 s alone); a corrupt store still fails to read and is restored from its changelog.
        options.setSkipStatsUpdateOnDbOpen(true);
        options.setSkipCheckingSstFileSizesOnDbOpen(true);
    }

    @Override
    public void close(String storeName, Options options) {
        // nothing was allocated
    }
}
