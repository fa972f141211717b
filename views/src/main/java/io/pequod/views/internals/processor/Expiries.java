package io.pequod.views.internals.processor;

import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * The expiry times of a table's keys, kept by its owner in two stores: by key ({@code key ->
 * expireAt}, which reads consult) and by time ({@code expireAt key -> empty}, 8 bytes big-endian
 * first, so that the keys due are one range scan away).
 */
public final class Expiries {
    /** Suffix of the by-key store's name after the table store's. */
    public static final String BY_KEY = "-ttl";
    /** Suffix of the by-time store's name after the table store's. */
    public static final String BY_TIME = "-ttl-index";
    private static final byte[] EMPTY = new byte[0];

    private final KeyValueStore<Bytes, byte[]> byKey;
    private final KeyValueStore<Bytes, byte[]> byTime;

    /**
     * @param byKey  key to expiry
     * @param byTime expiry and key to nothing
     */
    Expiries(KeyValueStore<Bytes, byte[]> byKey, KeyValueStore<Bytes, byte[]> byTime) {
        this.byKey = byKey;
        this.byTime = byTime;
    }

    /** @param stored a by-key store's value @return the expiry it holds, or {@code null} */
    public static Long decode(byte[] stored) {
        return stored == null || stored.length != Long.BYTES ? null : ByteBuffer.wrap(stored).getLong();
    }

    /** @return the key's expiry, or {@code null} if it has none */
    Long get(Bytes key) {
        return decode(byKey.get(key));
    }

    /** Sets the key's expiry. */
    void set(Bytes key, long at) {
        clear(key);
        byKey.put(key, ByteBuffer.allocate(Long.BYTES).putLong(at).array());
        byTime.put(index(at, key.get()), EMPTY);
    }

    /** Removes the key's expiry, if it has one. */
    void clear(Bytes key) {
        Long old = get(key);
        if (old != null) {
            byKey.delete(key);
            byTime.delete(index(old, key.get()));
        }
    }

    /**
     * Takes the keys whose expiry is at or before {@code now} off the time index (their by-key
     * entries stay until their tombstones are applied, so reads keep hiding them).
     *
     * @param now the time
     * @param max how many at most
     * @return the keys due, with their expiry
     */
    List<ExpiredKey> takeDue(long now, int max) {
        List<ExpiredKey> out = new ArrayList<>();
        try (KeyValueIterator<Bytes, byte[]> it = byTime.range(index(0, EMPTY), index(now + 1, EMPTY))) {
            while (it.hasNext() && out.size() < max) {
                KeyValue<Bytes, byte[]> e = it.next();
                ByteBuffer b = ByteBuffer.wrap(e.key.get());
                long at = b.getLong();
                byte[] key = new byte[b.remaining()];
                b.get(key);
                out.add(new ExpiredKey(key, at));
            }
        }
        out.forEach(e -> byTime.delete(index(e.expireAt(), e.key())));
        return out;
    }

    private static Bytes index(long at, byte[] key) {
        return Bytes.wrap(ByteBuffer.allocate(Long.BYTES + key.length).putLong(at).put(key).array());
    }
}
