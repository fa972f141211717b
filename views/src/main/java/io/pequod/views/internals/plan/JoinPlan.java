package io.pequod.views.internals.plan;

import io.pequod.views.spec.Join;
import io.pequod.views.spec.Operator;
import io.pequod.views.spec.Pattern;
import io.pequod.views.spec.Source;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * How one maintained join is computed: its slots numbered, its sources ordered into a chain of
 * binary join steps (each next source shares at least one slot with those before it), the join
 * slots of each step, and whether copy results can go straight to the sink (when every source
 * slot appears in the sink, each result has its own sink key and needs no grouping).
 *
 * <pre>
 * source order[0] ──┐
 *                   step 1 (on shared slots) ── step 2 ── ... ── sink (direct) or group by sink key
 * source order[1] ──┘         source order[2] ──┘
 * </pre>
 */
public final class JoinPlan {
    private final Join join;
    private final int index;
    private final List<String> slots;
    private final Map<String, Integer> slotIndex = new HashMap<>();
    private final int[] order;
    private final int[] positionOf;
    private final int[][] stepSlots;
    private final boolean direct;
    /** The sink pattern compiled: per element, literal bytes, or null and the slot index in sinkSlots. */
    private final byte[][] sinkLiterals;
    private final int[] sinkSlots;

    /**
     * @param join  the join (maintained, not pull)
     * @param index its index among its view's joins, for naming stores and topics
     */
    public JoinPlan(Join join, int index) {
        this.join = join;
        this.index = index;
        Set<String> names = new LinkedHashSet<>();
        join.sources().forEach(s -> names.addAll(s.pattern().slotNames()));
        this.slots = List.copyOf(names);
        for (int i = 0; i < slots.size(); i++) {
            slotIndex.put(slots.get(i), i);
        }
        int n = join.sources().size();
        this.order = chainOrder(join.sources());
        this.positionOf = new int[n];
        for (int p = 0; p < n; p++) {
            positionOf[order[p]] = p;
        }
        this.stepSlots = new int[n][];
        Set<String> acc = new HashSet<>(join.sources().get(order[0]).pattern().slotNames());
        for (int p = 1; p < n; p++) {
            Set<String> next = join.sources().get(order[p]).pattern().slotNames();
            TreeSet<String> shared = new TreeSet<>(next);
            shared.retainAll(acc);
            stepSlots[p] = shared.stream().mapToInt(slotIndex::get).toArray();
            acc.addAll(next);
        }
        this.direct = join.operator() == Operator.COPY && join.sink().slotNames().containsAll(slots);
        List<Pattern.Element> es = join.sink().elements();
        this.sinkLiterals = new byte[es.size()][];
        this.sinkSlots = new int[es.size()];
        for (int i = 0; i < es.size(); i++) {
            if (es.get(i) instanceof Pattern.Literal lit) {
                sinkLiterals[i] = lit.bytes();
            } else {
                sinkSlots[i] = slotIndex.get(((Pattern.Slot) es.get(i)).name());
            }
        }
    }

    private static int[] chainOrder(List<Source> sources) {
        int n = sources.size();
        List<Integer> order = new ArrayList<>();
        order.add(0);
        Set<String> acc = new HashSet<>(sources.get(0).pattern().slotNames());
        while (order.size() < n) {
            for (int i = 0; i < n; i++) {
                if (!order.contains(i) && sources.get(i).pattern().slotNames().stream().anyMatch(acc::contains)) {
                    order.add(i);
                    acc.addAll(sources.get(i).pattern().slotNames());
                    break;
                }
            }
        }
        return order.stream().mapToInt(Integer::intValue).toArray();
    }

    /** @return the join */
    public Join join() {
        return join;
    }

    /** @return the join's index in its view */
    public int index() {
        return index;
    }

    /** @return the number of sources */
    public int sourceCount() {
        return join.sources().size();
    }

    /** @return slot names; a tuple's bindings are indexed like this list */
    public List<String> slots() {
        return slots;
    }

    /**
     * @param source a source index
     * @return the source's pattern
     */
    public Pattern pattern(int source) {
        return join.sources().get(source).pattern();
    }

    /**
     * @param source a source index
     * @return whether it is the value source
     */
    public boolean isValueSource(int source) {
        return join.sources().get(source).role() == Source.Role.VALUE;
    }

    /**
     * @param source a source index
     * @return its position in the chain: 0 feeds the left of step 1, p > 0 the right of step p
     */
    public int position(int source) {
        return positionOf[source];
    }

    /**
     * @param step a step, 1 to sourceCount - 1
     * @return the slot indexes the step joins on
     */
    public int[] stepSlots(int step) {
        return stepSlots[step];
    }

    /** @return whether results go straight to the sink without grouping */
    public boolean direct() {
        return direct;
    }

    /** @return the operator */
    public Operator operator() {
        return join.operator();
    }

    /**
     * @param bindings slot values indexed like {@link #slots()}
     * @return the sink key
     */
    public byte[] sinkKey(byte[][] bindings) {
        int n = 0;
        for (int i = 0; i < sinkLiterals.length; i++) {
            n += sinkLiterals[i] != null ? sinkLiterals[i].length : bindings[sinkSlots[i]].length;
        }
        byte[] out = new byte[n];
        int pos = 0;
        for (int i = 0; i < sinkLiterals.length; i++) {
            byte[] b = sinkLiterals[i] != null ? sinkLiterals[i] : bindings[sinkSlots[i]];
            System.arraycopy(b, 0, out, pos, b.length);
            pos += b.length;
        }
        return out;
    }

    /**
     * @param name a slot name
     * @return its index
     */
    public int slotIndex(String name) {
        return slotIndex.get(name);
    }
}
