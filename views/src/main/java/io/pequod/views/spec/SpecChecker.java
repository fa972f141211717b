package io.pequod.views.spec;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** Semantic checks of joins and whole specs; each failure names the offending token's position. */
final class SpecChecker {
    private SpecChecker() {
    }

    static void checkJoin(Join j) {
        Set<String> bound = new HashSet<>();
        for (Source s : j.sources()) {
            if (s.table().equals(j.sinkTable())) {
                throw new JoinSpecException(s.pattern().position(), "table " + s.table() + " used as both source and sink;"
                        + " a join reads other tables");
            }
            checkAdjacentSlots(s.pattern());
            bound.addAll(s.pattern().slotNames());
        }
        checkAdjacentSlots(j.sink());
        for (Pattern.Element e : j.sink().elements()) {
            if (e instanceof Pattern.Slot slot && !bound.contains(slot.name())) {
                throw new JoinSpecException(PatternParser.col(j.sink().position(), offsetOf(j.sink(), slot)),
                        "slot <" + slot.name() + "> in sink is not bound by any source");
            }
        }
        if (j.operator() != Operator.COPY && j.pull()) {
            throw new JoinSpecException(j.position(), "pull joins support only copy, not " + j.operator().keyword());
        }
        checkConnected(j);
        if (j.partial()) {
            checkPartial(j);
        }
    }

    /**
     * A partial view is back-filled and evicted through its driving source's subscriptions, and
     * the markers that say a back-fill is complete pass one join step: copy joins of one or two
     * sources whose sink names every slot.
     */
    private static void checkPartial(Join j) {
        if (j.operator() != Operator.COPY) {
            throw new JoinSpecException(j.position(), "partial views support only copy, not " + j.operator().keyword());
        }
        if (j.sources().size() > 2) {
            throw new JoinSpecException(j.position(), "a partial view joins at most two sources; this join has "
                    + j.sources().size());
        }
        Set<String> sinkSlots = j.sink().slotNames();
        for (Source s : j.sources()) {
            for (String slot : s.pattern().slotNames()) {
                if (!sinkSlots.contains(slot)) {
                    throw new JoinSpecException(PatternParser.col(s.pattern().position(), Math.max(0, s.pattern().text().indexOf("<" + slot))),
                            "slot <" + slot + "> of a partial view's source must appear in its sink (each row its own key)");
                }
            }
        }
        PartialRange r = PartialRange.of(j);
        if (j.sources().stream().filter(s -> s.table().equals(r.table())).count() > 1) {
            throw new JoinSpecException(j.position(), "a partial view reads its driving table " + r.table() + " once");
        }
    }

    private static int offsetOf(Pattern p, Pattern.Slot slot) {
        int i = p.text().indexOf("<" + slot.name());
        return Math.max(0, i);
    }

    private static void checkAdjacentSlots(Pattern p) {
        List<Pattern.Element> es = p.elements();
        for (int i = 0; i + 1 < es.size(); i++) {
            if (es.get(i) instanceof Pattern.Slot a && !a.fixed() && es.get(i + 1) instanceof Pattern.Slot b) {
                throw new JoinSpecException(PatternParser.col(p.position(), offsetOf(p, a)), "slot <" + a.name()
                        + "> was not given a length but is followed by slot <" + b.name() + "> without a separator;"
                        + " give it a width (<" + a.name() + ":N> or where " + a.name() + ":N)");
            }
        }
    }

    /** Every source must share a slot with the sources before it (no cross products). */
    private static void checkConnected(Join j) {
        List<Source> ss = j.sources();
        Set<String> seen = new HashSet<>(ss.get(0).pattern().slotNames());
        List<Source> pending = new ArrayList<>(ss.subList(1, ss.size()));
        boolean progress = true;
        while (!pending.isEmpty() && progress) {
            progress = false;
            for (int i = 0; i < pending.size(); i++) {
                Set<String> names = pending.get(i).pattern().slotNames();
                if (names.stream().anyMatch(seen::contains)) {
                    seen.addAll(names);
                    pending.remove(i);
                    progress = true;
                    break;
                }
            }
        }
        if (!pending.isEmpty()) {
            Source s = pending.get(0);
            throw new JoinSpecException(s.pattern().position(), "source " + s.pattern().text()
                    + " shares no slot with the other sources; every source must join on at least one slot");
        }
    }

    static void check(JoinSpec spec, SourcePosition fileStart) {
        Map<String, TableDeclaration> declared = new HashMap<>();
        for (TableDeclaration t : spec.tables()) {
            TableDeclaration prior = declared.putIfAbsent(t.name(), t);
            if (prior != null) {
                throw new JoinSpecException(t.position(), "table " + t.name() + " is declared twice (first at " + prior.position() + ")");
            }
        }
        Map<String, Integer> widths = new HashMap<>();
        Map<String, SourcePosition> widthAt = new HashMap<>();
        for (Join j : spec.joins()) {
            List<Pattern> ps = new ArrayList<>();
            ps.add(j.sink());
            j.sources().forEach(s -> ps.add(s.pattern()));
            for (Pattern p : ps) {
                int w = p.fixedFirstFieldWidth();
                if (w > 0) {
                    Integer prior = widths.putIfAbsent(p.table(), w);
                    if (prior != null && prior != w) {
                        throw new JoinSpecException(p.position(), "table " + p.table() + " starts with a " + w
                                + "-byte field here but a " + prior + "-byte field at " + widthAt.get(p.table())
                                + "; one table has one partition key width");
                    }
                    widthAt.putIfAbsent(p.table(), p.position());
                }
            }
        }
        checkCycles(spec);
        checkSources(spec);
        checkPartialViews(spec);
    }

    /** A partial view has one join, and no join reads it: its rows exist only for the ranges read. */
    private static void checkPartialViews(JoinSpec spec) {
        Map<String, Join> partial = new HashMap<>();
        spec.joins().stream().filter(Join::partial).forEach(j -> partial.putIfAbsent(j.sinkTable(), j));
        for (Join j : spec.joins()) {
            Join p = partial.get(j.sinkTable());
            if (p != null && p != j) {
                throw new JoinSpecException(j.position(), "view " + j.sinkTable() + " is partial (" + p.position()
                        + "); a partial view has exactly one join");
            }
            for (Source s : j.sources()) {
                if (partial.containsKey(s.table())) {
                    throw new JoinSpecException(s.pattern().position(), "view " + s.table() + " is partial (materialized only for the"
                            + " ranges read); no join can read it");
                }
            }
        }
    }

    private static void checkSources(JoinSpec spec) {
        Map<String, SourceDeclaration> byTableAndTopic = new HashMap<>();
        for (SourceDeclaration d : spec.sources()) {
            if (spec.viewTables().contains(d.table())) {
                throw new JoinSpecException(d.position(), "table " + d.table() + " is written by joins, so no source can feed it;"
                        + " feed a base table and join it");
            }
            SourceDeclaration prior = byTableAndTopic.putIfAbsent(d.table() + "\0" + d.topic(), d);
            if (prior != null && !prior.text().equals(d.text())) {
                throw new JoinSpecException(d.position(), "table " + d.table() + " already has a source from topic '" + d.topic()
                        + "', declared differently at " + prior.position() + "; one source per table and topic");
            }
        }
    }

    private static void checkCycles(JoinSpec spec) {
        Map<String, Set<String>> reads = new LinkedHashMap<>();
        Map<String, Join> firstJoin = new HashMap<>();
        for (Join j : spec.joins()) {
            Set<String> r = reads.computeIfAbsent(j.sinkTable(), t -> new LinkedHashSet<>());
            j.sources().forEach(s -> r.add(s.table()));
            firstJoin.putIfAbsent(j.sinkTable(), j);
        }
        Map<String, Integer> state = new HashMap<>();
        for (String t : reads.keySet()) {
            List<String> path = new ArrayList<>();
            if (cycle(t, reads, state, path)) {
                int start = path.indexOf(path.get(path.size() - 1));
                List<String> loop = path.subList(start, path.size());
                Join j = firstJoin.get(loop.get(0));
                throw new JoinSpecException(j.position(), "cycle between views: " + String.join(" <- ", loop)
                        + "; a view cannot depend on itself");
            }
        }
    }

    private static boolean cycle(String t, Map<String, Set<String>> reads, Map<String, Integer> state, List<String> path) {
        path.add(t);
        Integer s = state.get(t);
        if (s != null) {
            if (s == 1) {
                return true;
            }
            path.remove(path.size() - 1);
            return false;
        }
        state.put(t, 1);
        for (String src : reads.getOrDefault(t, Set.of())) {
            if (cycle(src, reads, state, path)) {
                return true;
            }
        }
        state.put(t, 2);
        path.remove(path.size() - 1);
        return false;
    }
}
