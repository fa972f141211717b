package io.pequod.views.internals.processor;

import io.pequod.views.internals.plan.JoinPlan;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;

import java.util.Arrays;

/**
 * One binary step of a join: a symmetric hash join of the results so far (left) and the next
 * source (right) on the step's join slots, both keyed by the length-prefixed join slot values.
 * Each side lives in a RocksDB store keyed {@code joinKey + identity}, so that a prefix scan of
 * the other side finds exactly the matches. Update, then probe: an arriving delta is applied to its
 * side and combined with every match of the other side; the results are keyed for the next step
 * (or by sink key after the last step).
 *
 * <p>Replayed deltas change nothing here (an insert of a tuple already stored with the same
 * value, a delete of a tuple not stored), but their results are sent again: at least once, a
 * crash can come after the store write was logged and before the results were sent, and the
 * replay after it is then the only chance to send them. Downstream stores absorb a result they
 * already hold, and send it on in turn.
 */
public final class JoinStepProcessor implements Processor<byte[], TupleDelta, byte[], TupleDelta> {
    private final JoinPlan plan;
    private final int step;
    private final String leftStoreName;
    private final String rightStoreName;
    private ProcessorContext<byte[], TupleDelta> context;
    private KeyValueStore<Bytes, byte[]> left;
    private KeyValueStore<Bytes, byte[]> right;

    /**
     * @param plan           the join
     * @param step           the step, 1 to sources - 1
     * @param leftStoreName  store of the left side
     * @param rightStoreName store of the right side
     */


    public JoinStepProcessor(JoinPlan plan, int step, String leftStoreName, String rightStoreName) {
        this.plan = plan;
        this.step = step;
        this.leftStoreName = leftStoreName;
        this.rightStoreName = rightStoreName;
    }

    @Override
    public void init(ProcessorContext<byte[], TupleDelta> ctx) {
        this.context = ctx;
        this.left = ctx.getStateStore(leftStoreName);
        this.right = ctx.getStateStore(rightStoreName);
    }

    @Override
    public void process(Record<byte[], TupleDelta> record) {
        processRecord(record);
    }

    private void processRecord(Record<byte[], TupleDelta> record) {
        TupleDelta d = record.value();
        if (d.kind() == TupleDelta.Kind.MARK) {
            // a partial view's back-fill marker, after the row it follows: on to the sink (partial
            // views join two sources at most, so this is the last step)
            context.forward(record.withValue(d.onSide(TupleDelta.LEFT)));
            return;
        }
        byte[] joinKey = record.key();
        boolean isLeft = d.side() == TupleDelta.LEFT;
        KeyValueStore<Bytes, byte[]> own = isLeft ? left : right;
        KeyValueStore<Bytes, byte[]> other = isLeft ? right : left;
        Bytes storeKey = Bytes.wrap(Tuple.concat(joinKey, d.tuple().identity()));
        byte[] stored = own.get(storeKey);
        TupleDelta effective = normalize(d, stored == null ? null : Tuple.decode(stored));
        if (effective == null) {
            effective = resent(d);
        } else if (effective.kind() == TupleDelta.Kind.DELETE) {
            own.delete(storeKey);
        } else {
            own.put(storeKey, effective.tuple().encode());
        }
        try (KeyValueIterator<Bytes, byte[]> it = Stores2.prefix(other, joinKey)) {
            while (it.hasNext()) {
                KeyValue<Bytes, byte[]> kv = it.next();
                Tuple match = Tuple.decode(kv.value);
                Tuple combined = isLeft ? effective.tuple().combine(match) : match.combine(effective.tuple());
                TupleDelta out = new TupleDelta(effective.kind(), TupleDelta.LEFT, combined, effective.oldValue());
                byte[] key = step + 1 < plan.sourceCount() ? combined.keyOf(plan.stepSlots(step + 1)) : plan.sinkKey(combined.bindings);
                context.forward(record.withKey(key).withValue(out));
            }
        }
    }

    /**
     * @param replayed a delta whose effect the store already holds
     * @return it again, to send its results once more: an insert of the stored tuple, or a delete
     */
    static TupleDelta resent(TupleDelta replayed) {
        TupleDelta.Kind kind = replayed.kind() == TupleDelta.Kind.DELETE ? TupleDelta.Kind.DELETE : TupleDelta.Kind.INSERT;
        return new TupleDelta(kind, replayed.side(), replayed.tuple(), null);
    }

    /** Reconciles a delta with what the store holds, so that replays and reorderings stay exact. */
    static TupleDelta normalize(TupleDelta d, Tuple stored) {
        switch (d.kind()) {
            case DELETE:
                return stored == null ? null : new TupleDelta(TupleDelta.Kind.DELETE, d.side(), stored, null);
            case INSERT:
            case UPDATE:
                if (stored == null) {
                    return new TupleDelta(TupleDelta.Kind.INSERT, d.side(), d.tuple(), null);
                }
                if (Arrays.equals(stored.value, d.tuple().value)) {
                    return null;
                }
                return new TupleDelta(TupleDelta.Kind.UPDATE, d.side(), d.tuple(), stored.value);
            default:
                throw new IllegalStateException("unknown delta kind " + d.kind());
        }
    }
}
