package io.pequod.views.internals.engine;

import io.pequod.views.spec.Join;
import io.pequod.views.spec.JoinSpec;
import io.pequod.views.spec.JoinSpecException;
import io.pequod.views.spec.JoinSpecParser;
import io.pequod.views.spec.TableDeclaration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * The joins in force: those given at start plus those installed at run time, here or by another
 * instance (recorded in {@code <ns>-meta}, so restarts install them again). Installing creates and
 * materializes the tables the joins bring and starts the applications of new or changed views.
 */
public final class SpecInstaller {
    private static final Logger LOG = LoggerFactory.getLogger(SpecInstaller.class);

    /**
     * What an installation did.
     *
     * @param added  the joins and sources added, as written (empty if every one was installed already)
     * @param views  the view tables whose applications started, with their application ids
     * @param tables the tables the joins brought
     */
    public record Result(List<String> added, Map<String, String> views, Set<String> tables) {
        static final Result NOTHING = new Result(List.of(), Map.of(), Set.of());
    }

    private final JoinSpec initial;
    private volatile JoinSpec spec;
    private final List<ViewMetaStore.InstalledSpec> installed = new ArrayList<>();
    private EngineParts parts;
    private TableLayout layout;
    private ViewGenerations views;
    private SourceApplications sourceApps;
    /** End offset of {@code <ns>-meta} when this engine last read the installed specs. */
    private long metaEnd = -1;

    /** @param initial the joins given at start */
    public SpecInstaller(JoinSpec initial) {
        this.initial = initial;
        this.spec = initial;
    }

    /** @return the joins in force */
    public JoinSpec spec() {
        return spec;
    }

    /**
     * Adds the specs installed before this start, skipping (and logging) those that no longer fit.
     *
     * @param p       the engine's parts
     * @param records what {@code <ns>-meta} holds
     */
    public synchronized void loadRecorded(EngineParts p, ViewMetaStore.Records records) {
        this.parts = p;
        for (ViewMetaStore.InstalledSpec s : records.installed()) {
            try {
                JoinSpec next = spec.plus(JoinSpecParser.parse(s.name(), s.text()));
                checkInstallable(next);
                spec = next;
                installed.add(s);
            } catch (RuntimeException e) {
                LOG.error("Joins installed earlier from {} no longer fit the joins given at start and are not installed: {}",
                        s.name(), e.getMessage());
            }
        }
        if (installed.size() != records.installed().size()) {
            p.meta().writeInstalled(installed);
        }
    }

    /**
     * @param l the tables applications
     * @param v the view applications
     * @param s the source applications
     */
    public synchronized void running(TableLayout l, ViewGenerations v, SourceApplications s) {
        this.layout = l;
        this.views = v;
        this.sourceApps = s;
    }

    /**
     * Installs joins, as if they had been given at start; joins already in force are skipped.
     *
     * @param name the spec's name, for positions in error messages
     * @param text the spec text
     * @return what was installed
     * @throws JoinSpecException if the text is invalid or does not fit the joins in force
     */
    public synchronized Result install(String name, String text) {
        ViewMetaStore.InstalledSpec spec = new ViewMetaStore.InstalledSpec(name, text);
        // Recorded once checked and before its topics exist: another instance that finds the new
        // topics then finds the record too (TableWatch reads it after listing them), and installs
        // the joins rather than adopting the tables one by one. Should what follows fail, the
        // record stays, and this instance (not counting it as installed) applies it again later.
        Result r = apply(JoinSpecParser.parse(name, text), false, () -> {
            List<ViewMetaStore.InstalledSpec> all = new ArrayList<>(installed);
            all.add(spec);
            parts.meta().writeInstalled(all);
        });
        if (!r.added().isEmpty()) {
            installed.add(spec);
            LOG.info("Installed joins from {}: {} joins, started views {}, new tables {}", name, r.added().size(), r.views(), r.tables());
        }
        return r;
    }

    /** Installs the specs that other instances recorded since this one last looked, and follows their view generations. */
    public synchronized void installRecorded() {
        long end = parts.admin().endOffsets(List.of(parts.names().metaTopic())).values().stream().mapToLong(Long::longValue).sum();
        if (end == metaEnd) {
            return;
        }
        metaEnd = end;
        ViewMetaStore.Records records = parts.meta().read();
        layout.recorded(records);
        for (ViewMetaStore.InstalledSpec s : records.installed()) {
            if (!installed.contains(s)) {
                try {
                    Result r = apply(JoinSpecParser.parse(s.name(), s.text()), true, () -> { });
                    LOG.info("Installed joins that another instance recorded ({}): started views {}", s.name(), r.views());
                } catch (RuntimeException e) {
                    LOG.error("Joins installed by another instance from {} do not fit this instance's: {}", s.name(), e.getMessage());
                }
                installed.add(s);
            }
        }
        views.follow(records.views().values());
    }

    /**
     * @param recorded whether another instance installed it already (and checked that its views
     *                 write no table of users: this instance may have found their topics first)
     * @param checked  what to do once the joins are found to fit, before anything changes
     */
    private Result apply(JoinSpec added, boolean recorded, Runnable checked) {
        JoinSpec before = spec;
        JoinSpec next = before.plus(added);
        if (next == before) {
            return Result.NOTHING;
        }
        checkInstallable(next);
        List<Join> fresh = next.joinsNotIn(before);
        checkFits(added, before, fresh, recorded);
        checked.run();
        Set<String> newTables = new TreeSet<>(next.allTables());
        newTables.removeAll(parts.tables());
        parts.createTables(newTables, next);
        parts.learnTables(newTables);
        List<String> changedViews = new ArrayList<>();
        for (String v : next.materializedViewTables()) {
            if (!texts(before.joinsOf(v)).equals(texts(next.joinsOf(v)))) {
                changedViews.add(v);
            }
        }
        // One more tables application for these tables: the running applications are not
        // disturbed. Its id depends only on the tables, so every instance runs the same one.
        String id = parts.names().tablesApplication(newTables);
        spec = next; // the new tables' application knows which of them are views, and computes those it can
        layout.add(newTables, t -> id);
        List<String> sources = new ArrayList<>();
        changedViews.forEach(v -> next.joinsOf(v).forEach(j -> j.sources().forEach(src -> sources.add(src.table()))));
        layout.ensureChangelogs(sources); // before the views that read them start
        parts.tables().addAll(newTables);
        layout.start();
        sourceApps.startNew(next);
        Map<String, String> started = views.restart(changedViews, parts.meta().readAll());
        List<String> texts = new ArrayList<>(fresh.stream().map(Join::text).toList());
        next.sources().stream().filter(d -> before.sources().stream().noneMatch(b -> b.text().equals(d.text())))
                .forEach(d -> texts.add(d.text()));
        return new Result(texts, started, newTables);
    }

    private void checkFits(JoinSpec added, JoinSpec before, List<Join> fresh, boolean recorded) {
        for (Join j : fresh) {
            if (!recorded && parts.tables().contains(j.sinkTable()) && !before.viewTables().contains(j.sinkTable())) {
                throw new JoinSpecException(j.position(), "table " + j.sinkTable() + " already exists as a table that users "
                        + "write; a view table is written only by its joins, so give this join's output another table");
            }
        }
        for (TableDeclaration d : added.tables()) {
            Integer n = parts.partitions().get(d.name());
            if (n != null && n != d.partitions()) {
                throw new JoinSpecException(d.position(), "table " + d.name() + " exists with " + n
                        + " partitions; it cannot be declared with " + d.partitions());
            }
        }
    }

    private static List<String> texts(List<Join> joins) {
        return joins.stream().map(Join::text).toList();
    }

    /**
     * Joins installed at run time cannot change the partitioning rule, which writers and stores
     * already follow: a table whose keys start with a fixed-width field must be given at start.
     */
    private void checkInstallable(JoinSpec next) {
        Map<String, Integer> fixed = initial.fixedFirstFieldWidths();
        for (Map.Entry<String, Integer> e : next.fixedFirstFieldWidths().entrySet()) {
            if (!fixed.containsKey(e.getKey())) {
                Join j = next.joins().stream().filter(x -> x.sinkTable().equals(e.getKey())
                        || x.sources().stream().anyMatch(src -> src.table().equals(e.getKey()))).findFirst().orElseThrow();
                throw new JoinSpecException(j.position(), "table " + e.getKey() + "'s keys start with a fixed-width field (no '|' after "
                        + "the first slot), which decides how its keys are partitioned; such joins must be given when the server "
                        + "starts (serve --joins), not installed into a running one");
            }
        }
    }
}
