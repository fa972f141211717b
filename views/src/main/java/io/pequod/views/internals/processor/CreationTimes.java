package io.pequod.views.internals.processor;

import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.state.KeyValueStore;

import java.nio.ByteBuffer;

/**
 * When each key of a table was created (memento's {@code GETP}), kept by the table's owner in the
 * store {@code <table store>}{@value #SUFFIX}: {@code key -> 8-byte big-endian milliseconds}, the
 * timestamp of the change that wrote the key while it was absent. An entry exists exactly while the
 * key does (a key written before this store existed gets one at its next write).
 */
public final class CreationTimes {
    /** Suffix of the store's name after the table store's. */
    public static final String SUFFIX = "-created";

    /** The store, or {@code null} when creation times are not kept (every method then does nothing). */
    private final KeyValueStore<Bytes, byte[]> store;

    CreationTimes(KeyValueStore<Bytes, byte[]> store) {
        this.store = store;
    }

    /** @param stored a value of the store @return the creation time it holds, or {@code null} */
    public static Long decode(byte[] stored) {
        return stored == null || stored.length != Long.BYTES ? null : ByteBuffer.wrap(stored).getLong();
    }

    /** The key was written: created at {@code at} unless it already has a creation time. */
    void written(Bytes key, long at) {
        if (store != null && store.get(key) == null) {
            created(key, at);
        }
    }

    /** The key was written while absent: created at {@code at}. */
    void created(Bytes key, long at) {
        if (store != null) {
            store.put(key, ByteBuffer.allocate(Long.BYTES).putLong(at).array());
        }
    }

    /** The key is gone. */
    void erased(Bytes key) {
        if (store != null) {
            store.delete(key);
        }
    }
}
