package io.pequod.views.internals.processor;

import io.pequod.views.internals.plan.JoinPlan;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;

import java.util.Map;

/**
 * Turns key deltas of one source table into tuple deltas of one join source: keys that do not
 * match the source's pattern are ignored (a table holds keys of many shapes); overwrites of a
 * context source change nothing (only existence matters); the output is keyed for its next stage.
 */
public final class MatchProcessor implements Processor<byte[], SourceOutput, byte[], TupleDelta> {
    private final JoinPlan plan;
    private final int source;
    private ProcessorContext<byte[], TupleDelta> context;

    /**
     * @param plan   the join
     * @param source the source index this processor feeds
     */
    public MatchProcessor(JoinPlan plan, int source) {
        this.plan = plan;
        this.source = source;
    }

    @Override
    public void init(ProcessorContext<byte[], TupleDelta> ctx) {
        this.context = ctx;
    }

    @Override
    public void process(Record<byte[], SourceOutput> record) {
        if (record.value() instanceof FillMark mark) {
            mark(record, mark);
            return;
        }
        if (!(record.value() instanceof KeyDelta d)) {
            return;
        }
        Map<String, byte[]> m = plan.pattern(source).match(d.key());
        if (m == null) {
            return;
        }
        byte[][] bindings = new byte[plan.slots().size()][];
        m.forEach((name, v) -> bindings[plan.slotIndex(name)] = v);
        byte[][] keys = new byte[plan.sourceCount()][];
        keys[source] = d.key();
        boolean value = plan.isValueSource(source);
        TupleDelta out;
        if (d.oldValue() == null) {
            out = new TupleDelta(TupleDelta.Kind.INSERT, 0, new Tuple(bindings, keys, value ? d.newValue() : null), null);
        } else if (d.newValue() == null) {
            out = new TupleDelta(TupleDelta.Kind.DELETE, 0, new Tuple(bindings, keys, value ? d.oldValue() : null), null);
        } else if (value) {
            out = new TupleDelta(TupleDelta.Kind.UPDATE, 0, new Tuple(bindings, keys, d.newValue()), d.oldValue());
        } else {
            return;
        }
        forward(record, out, bindings);
    }

    /**
     * A back-fill marker goes where the row it follows went (a marker without a row: anywhere),
     * so that it reaches the view after that row's results.
     */
    private void mark(Record<byte[], SourceOutput> record, FillMark mark) {
        byte[][] bindings = new byte[plan.slots().size()][];
        Map<String, byte[]> m = mark.key() == null ? null : plan.pattern(source).match(mark.key());
        if (m != null) {
            m.forEach((name, v) -> bindings[plan.slotIndex(name)] = v);
        } else {
            java.util.Arrays.fill(bindings, mark.viewPrefix());
        }
        TupleDelta out = new TupleDelta(TupleDelta.Kind.MARK, 0, new Tuple(bindings, new byte[plan.sourceCount()][], null),
                mark.encode());
        forward(record, out, bindings);
    }

    /**
     * @param plan   a join of two or more sources
     * @param source one of its sources
     * @param key    a key matching that source's pattern
     * @return the key its tuple is sent to the first join step with, or {@code null} if it does not match
     */
    public static byte[] joinKey(JoinPlan plan, int source, byte[] key) {
        Map<String, byte[]> m = plan.pattern(source).match(key);
        if (m == null) {
            return null;
        }
        byte[][] bindings = new byte[plan.slots().size()][];
        m.forEach((name, v) -> bindings[plan.slotIndex(name)] = v);
        return new Tuple(bindings, new byte[plan.sourceCount()][], null).keyOf(plan.stepSlots(Math.max(1, plan.position(source))));
    }

    private void forward(Record<byte[], SourceOutput> record, TupleDelta out, byte[][] bindings) {
        int position = plan.position(source);
        if (plan.sourceCount() == 1) {
            context.forward(record.withKey(plan.sinkKey(bindings)).withValue(out));
        } else if (position == 0) {
            context.forward(record.withKey(out.tuple().keyOf(plan.stepSlots(1))).withValue(out.onSide(TupleDelta.LEFT)));
        } else {
            context.forward(record.withKey(out.tuple().keyOf(plan.stepSlots(position))).withValue(out.onSide(TupleDelta.RIGHT)));
        }
    }
}
