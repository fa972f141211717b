package io.pequod.views.internals.processor;

import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serializer;

import java.nio.ByteBuffer;

/**
 * A change to the set of join results: a tuple inserted, deleted, or its value updated (only the
 * value source's value changes; bindings are fixed by keys). {@code side} says which input of a
 * join step it feeds.
 *
 * @param kind     what happened
 * @param side     {@link #LEFT} or {@link #RIGHT} input of the next join step
 * @param tuple    the tuple, with its new value (or old value for DELETE)
 * @param oldValue the previous value for UPDATE, else {@code null}
 */
public record TupleDelta(Kind kind, int side, Tuple tuple, byte[] oldValue) {
    /** Left input of a join step: the results accumulated so far. */
    public static final int LEFT = 0;
    /** Right input of a join step: the next source. */
    public static final int RIGHT = 1;

    /** What happened to a tuple. */
    public enum Kind {
        /** A new join result. */
        INSERT,
        /** A join result is gone; the tuple carries its last value. */
        DELETE,
        /** The value of a join result changed from {@code oldValue} to the tuple's value. */
        UPDATE,
        /**
         * Not a result: a partial view's back-fill marker ({@link FillMark}, encoded in {@code oldValue}),
         * sent after the back-fill row in the tuple, along its path, so that it reaches the view after that row's results.
         */
        MARK
    }

    TupleDelta onSide(int s) {
        return new TupleDelta(kind, s, tuple, oldValue);
    }

    /** Serde for internal repartition topics. */
    public static final class DeltaSerde implements Serde<TupleDelta> {
        @Override
        public Serializer<TupleDelta> serializer() {
            return (topic, d) -> {
                if (d == null) {
                    return null;
                }
                byte[] old = d.oldValue();
                ByteBuffer buf = ByteBuffer.allocate(2 + d.tuple().encodedSize() + 4 + (old == null ? 0 : old.length));
                buf.put((byte) d.kind().ordinal());
                buf.put((byte) d.side());
                d.tuple().write(buf);
                Tuple.putNullable(buf, old);
                return buf.array();
            };
        }

        @Override
        public Deserializer<TupleDelta> deserializer() {
            return (topic, data) -> {
                if (data == null) {
                    return null;
                }
                try {
                    ByteBuffer in = ByteBuffer.wrap(data);
                    Kind k = Kind.values()[in.get()];
                    int side = in.get();
                    Tuple t = Tuple.read(in);
                    return new TupleDelta(k, side, t, Tuple.getNullable(in));
                } catch (RuntimeException e) {
                    throw new SerializationException("corrupt join delta in " + topic, e);
                }
            };
        }
    }
}
