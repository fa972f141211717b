package io.pequod.views.spec;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * A parsed and checked join spec: the joins of one or more files and table declarations.
 *
 * @param joins  the joins, in file order
 * @param tables the table declarations
 */
public record JoinSpec(List<Join> joins, List<TableDeclaration> tables) {
    /** Copies the lists. */
    public JoinSpec {
        joins = List.copyOf(joins);
        tables = List.copyOf(tables);
    }

    /** @return a spec without joins */
    public static JoinSpec empty() {
        return new JoinSpec(List.of(), List.of());
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

    /** @return tables read by joins that no join writes */
    public Set<String> baseTables() {
        Set<String> s = new LinkedHashSet<>();
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
