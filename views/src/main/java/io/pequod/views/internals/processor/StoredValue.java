package io.pequod.views.internals.processor;

import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.ReadOnlyKeyValueStore;

import java.nio.ByteBuffer;
import java.util.Arrays;

/**
 * How a table store ({@code table-<table>}) and its changelog hold a key's value: the user's
 * bytes, then the offset (in the table topic's partition) of the change that made the value, then
 * a one-byte tag. The owner skips a replayed read-modify-write change at or below that offset, so
 * after a crash (at least once: the store's changelog may be ahead of the committed input offset)
 * an INCR, APPEND, SETRANGE, PUT_NX... replayed by the owner counts once.
 *
 * <pre>
 *   value | offset (8 bytes, big-endian) | 0x01     made by the change at that offset
 *   value | 0x00                                    offset unknown (a change without metadata)
 * </pre>
 *
 * Readers never see the suffix: {@link #decoding} wraps a store for queries, and views reading the
 * changelog decode each record ({@link ChangelogSourceProcessor}). Stores of earlier versions had
 * no suffix; they are not read by this version (the tables applications' ids changed with this
 * format, so their stores are rebuilt from the table topics: see {@code EngineNames}).
 */
public final class StoredValue {
    private static final byte PLAIN = 0;
    private static final byte WITH_OFFSET = 1;
    private static final int OFFSET_SUFFIX = Long.BYTES + 1;

    private StoredValue() {
    }

    /**
     * @param value  the key's value (not {@code null})
     * @param offset the table topic offset of the change that made it, or a negative number if unknown
     * @return the stored form
     */
    public static byte[] encode(byte[] value, long offset) {
        if (offset < 0) {
            byte[] out = Arrays.copyOf(value, value.length + 1);
            out[value.length] = PLAIN;
            return out;
        }
        byte[] out = Arrays.copyOf(value, value.length + OFFSET_SUFFIX);
        ByteBuffer.wrap(out, value.length, Long.BYTES).putLong(offset);
        out[out.length - 1] = WITH_OFFSET;
        return out;
    }

    /**
     * @param stored a stored form, or {@code null}
     * @return the value, or {@code null}
     * @throws IllegalArgumentException for bytes that are not a stored form
     */
    public static byte[] value(byte[] stored) {
        if (stored == null) {
            return null;
        }
        return Arrays.copyOf(stored, stored.length - suffix(stored));
    }

    /** @param stored a stored form, or {@code null} @return the offset of the change that made it, or -1 if unknown */
    public static long offset(byte[] stored) {
        if (stored == null || suffix(stored) != OFFSET_SUFFIX) {
            return -1;
        }
        return ByteBuffer.wrap(stored, stored.length - OFFSET_SUFFIX, Long.BYTES).getLong();
    }

    private static int suffix(byte[] stored) {
        if (stored.length >= 1 && stored[stored.length - 1] == PLAIN) {
            return 1;
        }
        if (stored.length >= OFFSET_SUFFIX && stored[stored.length - 1] == WITH_OFFSET) {
            return OFFSET_SUFFIX;
        }
        throw new IllegalArgumentException("not a stored table value (" + stored.length + " bytes, no format tag)");
    }

    /**
     * @param store a table store
     * @return the same store as readers see it: values without the offset suffix
     */
    public static ReadOnlyKeyValueStore<Bytes, byte[]> decoding(ReadOnlyKeyValueStore<Bytes, byte[]> store) {
        return store instanceof Decoding ? store : new Decoding(store);
    }

    private record Decoding(ReadOnlyKeyValueStore<Bytes, byte[]> store) implements ReadOnlyKeyValueStore<Bytes, byte[]> {
        @Override
        public byte[] get(Bytes key) {
            return value(store.get(key));
        }

        @Override
        public KeyValueIterator<Bytes, byte[]> range(Bytes from, Bytes to) {
            return new DecodingIterator(store.range(from, to));
        }

        @Override
        public KeyValueIterator<Bytes, byte[]> reverseRange(Bytes from, Bytes to) {
            return new DecodingIterator(store.reverseRange(from, to));
        }

        @Override
        public KeyValueIterator<Bytes, byte[]> all() {
            return new DecodingIterator(store.all());
        }

        @Override
        public KeyValueIterator<Bytes, byte[]> reverseAll() {
            return new DecodingIterator(store.reverseAll());
        }

        @Override
        public long approximateNumEntries() {
            return store.approximateNumEntries();
        }
    }

    private record DecodingIterator(KeyValueIterator<Bytes, byte[]> it) implements KeyValueIterator<Bytes, byte[]> {
        @Override
        public void close() {
            it.close();
        }

        @Override
        public Bytes peekNextKey() {
            return it.peekNextKey();
        }

        @Override
        public boolean hasNext() {
            return it.hasNext();
        }

        @Override
        public KeyValue<Bytes, byte[]> next() {
            KeyValue<Bytes, byte[]> kv = it.next();
            return KeyValue.pair(kv.key, value(kv.value));
        }
    }
}
