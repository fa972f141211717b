package io.pequod.views.internals.processor;

import io.pequod.schemas.Changes;
import io.pequod.schemas.avro.Change;
import io.pequod.schemas.avro.Operation;
import io.pequod.views.internals.plan.JoinPlan;
import io.pequod.views.spec.Operator;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Groups join results by sink key and applies the operator, with Pequod's semantics:
 * <ul>
 * <li>copy: the sink key takes the value; when its result leaves, another result for the same
 * sink key takes over (last writer wins), or the key is erased;</li>
 * <li>count: +1 per new result, -1 per removed result; the key stays at "0";</li>
 * <li>sum: adds new minus old (values that are not integers count as 0);</li>
 * <li>min/max: bytewise order; when the extreme leaves or worsens, recomputed from the remaining
 * results by a prefix scan of the group; no results, no key.</li>
 * </ul>
 * State: {@code contrib} holds each result's value under {@code lengthPrefixed(sinkKey) + identity}
 * (so a group is one prefix scan, and replays are absorbed), {@code agg} the current aggregate. A
 * replayed result changes nothing, but the sink key's value is sent again (see {@link #resend}).
 */
public final class AggregateProcessor implements Processor<byte[], TupleDelta, byte[], Change> {
    private final JoinPlan plan;
    private final String contribName;
    private final String aggName;
    private ProcessorContext<byte[], Change> context;
    private KeyValueStore<Bytes, byte[]> contrib;
    private KeyValueStore<Bytes, byte[]> agg;

    /**
     * @param plan        the join
     * @param contribName store of individual results
     * @param aggName     store of aggregates
     */


    public AggregateProcessor(JoinPlan plan, String contribName, String aggName) {
        this.plan = plan;
        this.contribName = contribName;
        this.aggName = aggName;
    }

    @Override
    public void init(ProcessorContext<byte[], Change> ctx) {
        this.context = ctx;
        this.contrib = ctx.getStateStore(contribName);
        this.agg = ctx.getStateStore(aggName);
    }

    @Override
    public void process(Record<byte[], TupleDelta> record) {
        processRecord(record);
    }

    private void processRecord(Record<byte[], TupleDelta> record) {
        byte[] sinkKey = record.key();
        byte[] group = groupPrefix(sinkKey);
        Bytes ck = Bytes.wrap(Tuple.concat(group, record.value().tuple().identity()));
        byte[] stored = contrib.get(ck);
        TupleDelta d = JoinStepProcessor.normalize(record.value(),
                stored == null ? null : record.value().tuple().withValue(stored));
        if (d == null) {
            resend(record, sinkKey, group);
            return;
        }
        byte[] value = d.tuple().value;
        if (d.kind() == TupleDelta.Kind.DELETE) {
            contrib.delete(ck);
        } else {
            contrib.put(ck, value == null ? new byte[0] : value);
        }
        Bytes ak = Bytes.wrap(sinkKey);
        Operator op = plan.operator();
        switch (op) {
            case COPY:
                copy(record, sinkKey, group, d);
                break;
            case COUNT:
                long c = agg.get(ak) == null ? 0 : Long.parseLong(text(agg.get(ak)));
                long nc = c + (d.kind() == TupleDelta.Kind.INSERT ? 1 : d.kind() == TupleDelta.Kind.DELETE ? -1 : 0);
                if (nc != c || agg.get(ak) == null) {
                    emitNumber(record, ak, nc);
                }
                break;
            case SUM:
                byte[] cur = agg.get(ak);
                long s = cur == null ? 0 : Long.parseLong(text(cur));
                long ns = s;
                if (d.kind() != TupleDelta.Kind.DELETE) {
                    ns += Numbers.leadingLong(value);
                }
                if (d.kind() != TupleDelta.Kind.INSERT) {
                    ns -= Numbers.leadingLong(d.kind() == TupleDelta.Kind.DELETE ? value : d.oldValue());
                }
                if (ns != s || cur == null) {
                    emitNumber(record, ak, ns);
                }
                break;
            case MIN:
            case MAX:
                extreme(record, ak, group, d, op == Operator.MAX ? 1 : -1);
                break;
            default:
                throw new IllegalStateException("unknown operator " + op);
        }
    }

    /**
     * A replayed result (its contribution already stored): at least once, a crash may have cut off
     * the output it caused, so the sink key's value is sent again (the view table takes it as a put
     * of what it may already hold). The value is recomputed from the contributions, which are what
     * the replay proved, rather than read from the aggregate, whose own write may not have been
     * logged before the crash. Copy sends this result's value, or the group's first after a delete.
     */
    private void resend(Record<byte[], TupleDelta> record, byte[] sinkKey, byte[] group) {
        Operator op = plan.operator();
        if (op == Operator.COPY && record.value().kind() != TupleDelta.Kind.DELETE) {
            emit(record, sinkKey, contrib.get(Bytes.wrap(Tuple.concat(group, record.value().tuple().identity()))));
            return;
        }
        long n = 0;
        long sum = 0;
        byte[] best = null;
        try (KeyValueIterator<Bytes, byte[]> it = Stores2.prefix(contrib, group)) {
            while (it.hasNext()) {
                byte[] x = it.next().value;
                if (op == Operator.COPY) {
                    best = x;
                    break;
                }
                n++;
                sum += Numbers.leadingLong(x);
                if (best == null || (op == Operator.MAX ? 1 : -1) * Arrays.compareUnsigned(x, best) > 0) {
                    best = x;
                }
            }
        }
        if (n == 0 && (op == Operator.COUNT || op == Operator.SUM) && agg.get(Bytes.wrap(sinkKey)) == null) {
            return; // an erase of what never was: no key ("0" is for a count or sum that had results)
        }
        byte[] v = switch (op) {
            case COUNT -> Long.toString(n).getBytes(StandardCharsets.US_ASCII);
            case SUM -> Long.toString(sum).getBytes(StandardCharsets.US_ASCII);
            default -> best;
        };
        if (op != Operator.COPY) {
            if (v == null) {
                agg.delete(Bytes.wrap(sinkKey));
            } else {
                agg.put(Bytes.wrap(sinkKey), v);
            }
        }
        emit(record, sinkKey, v);
    }

    private void copy(Record<byte[], TupleDelta> record, byte[] sinkKey, byte[] group, TupleDelta d) {
        if (d.kind() != TupleDelta.Kind.DELETE) {
            emit(record, sinkKey, d.tuple().value);
            return;
        }
        try (KeyValueIterator<Bytes, byte[]> it = Stores2.prefix(contrib, group)) {
            emit(record, sinkKey, it.hasNext() ? it.next().value : null);
        }
    }

    private void extreme(Record<byte[], TupleDelta> record, Bytes ak, byte[] group, TupleDelta d, int sign) {
        byte[] cur = agg.get(ak);
        byte[] v = d.tuple().value;
        boolean recompute;
        if (d.kind() == TupleDelta.Kind.DELETE) {
            recompute = Arrays.equals(v, cur);
        } else if (cur == null || sign * Arrays.compareUnsigned(v, cur) > 0) {
            agg.put(ak, v);
            emit(record, ak.get(), v);
            return;
        } else {
            recompute = d.kind() == TupleDelta.Kind.UPDATE && Arrays.equals(d.oldValue(), cur);
        }
        if (!recompute) {
            return;
        }
        byte[] best = null;
        try (KeyValueIterator<Bytes, byte[]> it = Stores2.prefix(contrib, group)) {
            while (it.hasNext()) {
                byte[] x = it.next().value;
                if (best == null || sign * Arrays.compareUnsigned(x, best) > 0) {
                    best = x;
                }
            }
        }
        if (best == null) {
            agg.delete(ak);
        } else {
            agg.put(ak, best);
        }
        if (!Arrays.equals(best, cur)) {
            emit(record, ak.get(), best);
        }
    }

    private void emitNumber(Record<byte[], TupleDelta> record, Bytes ak, long n) {
        byte[] v = Long.toString(n).getBytes(StandardCharsets.US_ASCII);
        agg.put(ak, v);
        emit(record, ak.get(), v);
    }

    private void emit(Record<byte[], TupleDelta> record, byte[] sinkKey, byte[] value) {
        Change c = value == null ? null : Changes.of(Operation.PUT, value);
        FaultPoint.beforeOutput(plan.operator() == Operator.COPY);
        context.forward(record.withKey(sinkKey).withValue(c));
    }

    static byte[] groupPrefix(byte[] sinkKey) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(sinkKey.length + 4);
        Tuple.writeField(out, sinkKey);
        return out.toByteArray();
    }

    private static String text(byte[] b) {
        return new String(b, StandardCharsets.US_ASCII);
    }
}
