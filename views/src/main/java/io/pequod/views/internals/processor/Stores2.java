package io.pequod.views.internals.processor;

import org.apache.kafka.common.serialization.BytesSerializer;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;

/** Helpers over byte stores. */
final class Stores2 {
    static final BytesSerializer PREFIX = new BytesSerializer();

    private Stores2() {
    }

    static KeyValueIterator<Bytes, byte[]> prefix(KeyValueStore<Bytes, byte[]> store, byte[] prefix) {
        return store.prefixScan(Bytes.wrap(prefix), PREFIX);
    }
}
