package io.pequod.views;

import io.pequod.schemas.Range;
import io.pequod.views.internals.processor.Numbers;
import io.pequod.views.spec.Join;
import io.pequod.views.spec.Operator;
import io.pequod.views.spec.Pattern;
import io.pequod.views.spec.Source;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Evaluates a join at read time from its sources, by nested range scans: each source is scanned
 * over the prefix that the slots bound so far determine. This is how {@code pull} joins are
 * answered, and the reference against which maintained views are tested.
 *
 * <p>Results follow the operators' semantics over the current data (copy: the last match in
 * source-key order wins; count, sum, min, max over the matches; groups without matches have no
 * key). Thread-safe; holds no state.
 */
public final class JoinEvaluator {
    /** Reads a key range of a table, in key order. */
    @FunctionalInterface
    public interface SourceReader {
        /**
         * @param table the table
         * @param range the keys to read
         * @return the entries, ascending
         */
        Iterable<Map.Entry<byte[], byte[]>> scan(String table, Range range);
    }

    private JoinEvaluator() {
    }

    /**
     * @param join      the join (cannot be {@code null})
     * @param reader    reads the sources (cannot be {@code null})
     * @param sinkRange only results in this range, or {@code null} for all
     * @return sink key to value, in key order
     */
    public static TreeMap<byte[], byte[]> evaluate(Join join, SourceReader reader, Range sinkRange) {
        Map<String, byte[]> initial = new HashMap<>();
        if (sinkRange != null) {
            initial.putAll(join.sink().bindPrefix(commonPrefix(sinkRange.first(), sinkRange.last())));
        }
        List<Source> order = new ArrayList<>(join.sources());
        TreeMap<byte[], List<byte[]>> bySink = new TreeMap<>(Arrays::compareUnsigned);
        SlotRange slotRange = sinkRange == null ? null : slotRange(join.sink(), sinkRange);
        walk(join, order, 0, initial, null, reader, sinkRange, slotRange, bySink);
        TreeMap<byte[], byte[]> out = new TreeMap<>(Arrays::compareUnsigned);
        bySink.forEach((k, values) -> {
            byte[] v = aggregate(join, values);
            if (v != null) {
                out.put(k, v);
            }
        });
        return out;
    }

    /**
     * The values a sink slot can take in a range: the first fixed-width slot where the range's
     * bounds differ lies in [lo, hi] (hi inclusive: keys below {@code last} may carry it).
     */
    record SlotRange(String slot, byte[] lo, byte[] hi) {
    }

    static SlotRange slotRange(Pattern sink, Range r) {
        int pos = 0;
        for (Pattern.Element e : sink.elements()) {
            if (e instanceof Pattern.Literal lit) {
                pos += lit.bytes().length;
                continue;
            }
            Pattern.Slot s = (Pattern.Slot) e;
            int end = pos + s.width();
            if (!s.fixed() || r.first().length < end || r.last().length < end) {
                return null;
            }
            byte[] lo = Arrays.copyOfRange(r.first(), pos, end);
            byte[] hi = Arrays.copyOfRange(r.last(), pos, end);
            int c = Arrays.compareUnsigned(lo, hi);
            if (c > 0) {
                return null;
            }
            if (c < 0) {
                return new SlotRange(s.name(), lo, hi);
            }
            pos = end;
        }
        return null;
    }

    /**
     * The keys of a source to read: those with the prefix its bound slots give, narrowed to the
     * sink range's slot range when that slot comes right after the prefix (a time window, say).
     */
    private static Range sourceRange(Pattern p, Map<String, byte[]> bindings, SlotRange slotRange) {
        byte[] prefix = p.prefix(bindings);
        if (slotRange == null || bindings.containsKey(slotRange.slot())) {
            return Range.prefix(prefix);
        }
        for (Pattern.Element e : p.elements()) {
            if (e instanceof Pattern.Slot s && !bindings.containsKey(s.name())) {
                if (!s.name().equals(slotRange.slot()) || !s.fixed() || s.width() != slotRange.lo().length) {
                    return Range.prefix(prefix);
                }
                byte[] lo = Arrays.copyOf(prefix, prefix.length + s.width());
                System.arraycopy(slotRange.lo(), 0, lo, prefix.length, s.width());
                byte[] hi = Arrays.copyOf(prefix, prefix.length + s.width());
                System.arraycopy(slotRange.hi(), 0, hi, prefix.length, s.width());
                return new Range(lo, Range.successor(hi));
            }
        }
        return Range.prefix(prefix);
    }

    private static void walk(Join join, List<Source> order, int depth, Map<String, byte[]> bindings, byte[] value,
                             SourceReader reader, Range sinkRange, SlotRange slotRange, TreeMap<byte[], List<byte[]>> out) {
        if (depth == order.size()) {
            byte[] sinkKey = join.sink().build(bindings);
            if (sinkRange == null || sinkRange.contains(sinkKey)) {
                out.computeIfAbsent(sinkKey, k -> new ArrayList<>()).add(value);
            }
            return;
        }
        // Read next the source whose keys the bindings so far narrow most: a user's
        // subscriptions before every post, a time window before all of a table.
        List<Source> rest = new ArrayList<>(order);
        int best = depth;
        int bestScore = -1;
        for (int i = depth; i < rest.size(); i++) {
            Range r = sourceRange(rest.get(i).pattern(), bindings, slotRange);
            int score = JoinEvaluator.commonPrefix(r.first(), r.last()).length;
            if (score > bestScore) {
                best = i;
                bestScore = score;
            }
        }
        Collections.swap(rest, depth, best);
        Source s = rest.get(depth);
        Pattern p = s.pattern();
        for (Map.Entry<byte[], byte[]> e : reader.scan(p.table(), sourceRange(p, bindings, slotRange))) {
            Map<String, byte[]> m = p.match(e.getKey());
            if (m == null || !consistent(bindings, m)) {
                continue;
            }
            Map<String, byte[]> next = new HashMap<>(bindings);
            next.putAll(m);
            walk(join, rest, depth + 1, next, s.role() == Source.Role.VALUE ? e.getValue() : value, reader, sinkRange, slotRange, out);
        }
    }

    private static boolean consistent(Map<String, byte[]> a, Map<String, byte[]> b) {
        for (Map.Entry<String, byte[]> e : b.entrySet()) {
            byte[] x = a.get(e.getKey());
            if (x != null && !Arrays.equals(x, e.getValue())) {
                return false;
            }
        }
        return true;
    }

    private static byte[] aggregate(Join join, List<byte[]> values) {
        switch (join.operator()) {
            case COPY:
                return values.get(values.size() - 1);
            case COUNT:
                return Long.toString(values.size()).getBytes();
            case SUM: {
                long sum = 0;
                for (byte[] v : values) {
                    sum += Numbers.leadingLong(v);
                }
                return Long.toString(sum).getBytes();
            }
            case MIN:
            case MAX: {
                int sign = join.operator() == Operator.MAX ? 1 : -1;
                byte[] best = null;
                for (byte[] v : values) {
                    if (best == null || sign * Arrays.compareUnsigned(v, best) > 0) {
                        best = v;
                    }
                }
                return best;
            }
            default:
                throw new IllegalStateException("unknown operator " + join.operator());
        }
    }

    static byte[] commonPrefix(byte[] a, byte[] b) {
        int n = Math.min(a.length, b.length);
        int i = 0;
        while (i < n && a[i] == b[i]) {
            i++;
        }
        return Arrays.copyOf(a, i);
    }
}
