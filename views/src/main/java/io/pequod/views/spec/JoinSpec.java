package io.pequod.views.spec;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * A parsed and checked join spec: the joins of one or more files, table declarations and sources.
 *
 * @param joins   the joins, in file order
 * @param tables  the table declarations
 * @param sources the sources: tables fed from users' topics
 */
public record JoinSpec(List<Join> joins, List<TableDeclaration> tables, List<SourceDeclaration> sources) {
    /** Copies the lists. */
    public JoinSpec {
        joins = List.copyOf(joins);
        tables = List.copyOf(tables);
        sources = List.copyOf(sources);
    }

    /**
     * A spec without sources.
     *
     * @param joins  the joins
     * @param tables the table declarations
     */
    public JoinSpec(List<Join> joins, List<TableDeclaration> tables) {
        this(joins, tables, List.of());
    }

    /** @return a spec without joins */
    public static JoinSpec empty() {
        return new JoinSpec(List.of(), List.of());
    }

    /**
     * This spec with another's joins and table declarations added, checked as one spec. A join
     * whose text equals one of this spec's, or a declaration equal to one of this spec's, is
     * already there and not added again; so adding a spec twice changes nothing.
     *
     * @param added joins and declarations to add (cannot be {@code null})
     * @return the combined spec ({@code this} if nothing is new)
     * @throws JoinSpecException if the combination is invalid (a table declared with another
     *                           partition count, different key widths for one table, a cycle),
     *                           naming the position in {@code added}
     */
    public JoinSpec plus(JoinSpec added) {
        Set<String> texts = new LinkedHashSet<>();
        joins.forEach(j -> texts.add(j.text()));
        List<Join> js = new ArrayList<>(joins);
        for (Join j : added.joins()) {
            if (texts.add(j.text())) {
                js.add(j);
            }
        }
        List<TableDeclaration> ts = new ArrayList<>(tables);
        for (TableDeclaration t : added.tables()) {
            Optional<TableDeclaration> prior = tables.stream().filter(x -> x.name().equals(t.name())).findFirst();
            if (prior.isEmpty()) {
                ts.add(t);
            } else if (prior.get().partitions() != t.partitions()) {
                throw new JoinSpecException(t.position(), "table " + t.name() + " is declared with " + t.partitions()
                        + " partitions here but " + prior.get().partitions() + " at " + prior.get().position());
            }
        }
        List<SourceDeclaration> ss = new ArrayList<>(sources);
        for (SourceDeclaration d : added.sources()) {
            if (ss.stream().noneMatch(x -> x.text().equals(d.text()))) {
                ss.add(d);
            }
        }
        if (js.size() == joins.size() && ts.size() == tables.size() && ss.size() == sources.size()) {
            return this;
        }
        JoinSpec out = new JoinSpec(js, ts, ss);
        SpecChecker.check(out, !added.joins().isEmpty() ? added.joins().get(0).position()
                : !added.tables().isEmpty() ? added.tables().get(0).position() : added.sources().get(0).position());
        return out;
    }

    /**
     * @param other another spec
     * @return the joins of this spec whose text is not among {@code other}'s
     */
    public List<Join> joinsNotIn(JoinSpec other) {
        Set<String> texts = new LinkedHashSet<>();
        other.joins().forEach(j -> texts.add(j.text()));
        return joins.stream().filter(j -> !texts.contains(j.text())).toList();
    }

    /** @return the tables that joins write (maintained or pull), in order of appearance */
    public Set<String> viewTables() {
        Set<String> s = new LinkedHashSet<>();
        joins.forEach(j -> s.add(j.sinkTable()));
        return s;
    }

    /** @return the tables that maintained (push) joins write */
    public Set<String> materializedViewTables() {
        Set<String> s = new LinkedHashSet<>();
        joins.stream().filter(j -> !j.pull()).forEach(j -> s.add(j.sinkTable()));
        return s;
    }

    /** @return the tables that sources feed (users may not write them) */
    public Set<String> sourceTables() {
        Set<String> s = new LinkedHashSet<>();
        sources.forEach(d -> s.add(d.table()));
        return s;
    }

    /** @return tables read by joins or fed by sources that no join writes */
    public Set<String> baseTables() {
        Set<String> s = new LinkedHashSet<>(sourceTables());
        joins.forEach(j -> j.sources().forEach(src -> s.add(src.table())));
        s.removeAll(materializedViewTables());
        return s;
    }

    /** @return every table named by the spec */
    public Set<String> allTables() {
        Set<String> s = new LinkedHashSet<>(baseTables());
        s.addAll(viewTables());
        tables.forEach(t -> s.add(t.name()));
        return s;
    }

    /**
     * @param viewTable a view table
     * @return the maintained joins writing it
     */
    public List<Join> joinsOf(String viewTable) {
        List<Join> out = new ArrayList<>();
        joins.stream().filter(j -> !j.pull() && j.sinkTable().equals(viewTable)).forEach(out::add);
        return out;
    }

    /** @return the pull joins, by sink table */
    public Map<String, List<Join>> pullJoins() {
        Map<String, List<Join>> m = new LinkedHashMap<>();
        joins.stream().filter(Join::pull).forEach(j -> m.computeIfAbsent(j.sinkTable(), t -> new ArrayList<>()).add(j));
        return m;
    }

    /**
     * @param table a table
     * @return its declared partition count, if declared
     */
    public Optional<Integer> declaredPartitions(String table) {
        return tables.stream().filter(t -> t.name().equals(table)).map(TableDeclaration::partitions).findFirst();
    }

    /**
     * @return table to fixed first-field width, for tables whose patterns have no separator after
     * the first slot
     */
    public Map<String, Integer> fixedFirstFieldWidths() {
        Map<String, Integer> m = new LinkedHashMap<>();
        for (Join j : joins) {
            List<Pattern> ps = new ArrayList<>();
            ps.add(j.sink());
            j.sources().forEach(s -> ps.add(s.pattern()));
            for (Pattern p : ps) {
                int w = p.fixedFirstFieldWidth();
                if (w > 0) {
                    m.putIfAbsent(p.table(), w);
                }
            }
        }
        return m;
    }
}
