package io.pequod.apps.bench;

import org.apache.kafka.streams.state.RocksDBConfigSetter;
import org.rocksdb.Options;

import java.util.Map;

/**
 * The DSL baseline's RocksDB options, as an expert sets them for a join that reads a key before
 * writing it: a whole-key bloom filter on the memtables (Pequod's stores have the same), so that a
 * read of a new key does not walk the memtable to find nothing.
 */
public final class DslStoreOptions implements RocksDBConfigSetter {
    @Override
    public void setConfig(String storeName, Options options, Map<String, Object> configs) {
        options.setMemtablePrefixBloomSizeRatio(0.05);
        options.setMemtableWholeKeyFiltering(true);
    }

    @Override
    public void close(String storeName, Options options) {
        // nothing was allocated
    }
}
