package io.pequod.views.internals.engine;

import io.pequod.views.internals.engine.ViewMetaStore.ViewMeta;
import io.pequod.views.spec.Join;
import io.pequod.views.spec.JoinSpec;
import org.apache.kafka.common.utils.Utils;
import org.apache.kafka.streams.KafkaStreams;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.time.Duration;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

/**
 * The views' applications, one per view generation: decides whether a view resumes its recorded
 * generation or starts a new one on a cleared table (a changed definition, a rebuild), hands a
 * redefined view over between instances, and follows generations other instances started.
 */
public final class ViewGenerations {
    private static final Logger LOG = LoggerFactory.getLogger(ViewGenerations.class);
    private static final Duration OLD_GENERATION_TIMEOUT = Duration.ofSeconds(30);

    private final EngineParts parts;
    private final TableLayout layout;
    private final Supplier<JoinSpec> spec;
    private final Map<String, KafkaStreams> running = new LinkedHashMap<>();
    private final Map<String, ViewMeta> generations = new ConcurrentHashMap<>();
    /** Views this instance stopped maintaining because another instance redefined them, with why. */
    private final Map<String, String> superseded = new ConcurrentHashMap<>();

    /**
     * @param parts  the engine's parts
     * @param layout the tables applications, whose changelogs views read
     * @param spec   the joins in force
     */
    public ViewGenerations(EngineParts parts, TableLayout layout, Supplier<JoinSpec> spec) {
        this.parts = parts;
        this.layout = layout;
        this.spec = spec;
    }

    /** @return the generations maintained here, by view */
    public Collection<ViewMeta> generations() {
        return List.copyOf(generations.values());
    }

    /** @return the running application of a view (the tables application computing it, if it does), or {@code null} */
    public synchronized KafkaStreams streams(String view) {
        return inTables(generations.get(view)) ? layout.streamsOf(view) : running.get(view);
    }

    /** @return whether a generation is the one a tables application computes (no application of its own) */
    private boolean inTables(ViewMeta m) {
        return m != null && parts.names().isTablesApplication(m.application());
    }

    /** @return views this instance stopped because another instance redefined them, with why */
    public Map<String, String> problems() {
        return new TreeMap<>(superseded);
    }

    /** @return the topics a view's generation reads its sources from (the table topics, when a tables application computes it) */
    public List<String> sourceTopics(String view) {
        return inTables(generations.get(view)) ? tableTopics(view) : ownTopics(view);
    }

    /** @return the topics a view's own application reads: the changelogs of its sources' stores */
    private List<String> ownTopics(String view) {
        return sourceTables(view).stream().map(t -> parts.runsTables() ? layout.changelogOf(t) : parts.topics().tableTopic(t)).toList();
    }

    private List<String> tableTopics(String view) {
        return sourceTables(view).stream().map(parts.topics()::tableTopic).toList();
    }

    private List<String> sourceTables(String view) {
        return spec.get().joinsOf(view).stream().flatMap(j -> j.sources().stream()).map(s -> s.table()).distinct().toList();
    }

    /**
     * Decides (without starting them) the generation of each view of the spec.
     *
     * @param recorded the views' records in {@code <ns>-meta}
     */
    public synchronized void prepareAll(Map<String, ViewMeta> recorded) {
        for (String v : spec.get().materializedViewTables()) {
            generations.put(v, prepare(v, recorded.get(v)));
        }
    }

    /** Starts every prepared view. */
    public synchronized void startAll() {
        StreamsSettings.startAll(generations.values().stream().filter(m -> !inTables(m)).map(this::create).toList());
    }

    /**
     * (Re)starts views whose joins changed, each under the generation its definition calls for.
     *
     * @param views    the views
     * @param recorded the views' records in {@code <ns>-meta}
     * @return the started applications, by view
     */
    public synchronized Map<String, String> restart(List<String> views, Map<String, ViewMeta> recorded) {
        Map<String, String> started = new LinkedHashMap<>();
        for (String v : views) {
            stop(v);
            ViewMeta m = prepare(v, generations.containsKey(v) ? generations.get(v) : recorded.get(v));
            generations.put(v, m);
            start(m);
            started.put(v, m.application());
        }
        return started;
    }

    /**
     * Rebuilds one view: stops its application, erases the view's keys, and starts a new generation.
     *
     * @param view a maintained view table
     * @return the new generation's application id
     * @throws IllegalArgumentException if {@code view} is not maintained here
     */
    public synchronized String rebuild(String view) {
        ViewMeta current = generations.get(view);
        if (current == null && superseded.containsKey(view)) {
            throw new IllegalArgumentException(superseded.get(view));
        }
        if (current == null) {
            throw new IllegalArgumentException("Unknown view '" + view + "'; maintained views: " + generations.keySet());
        }
        stop(view);
        ViewMeta next = prepare(view, new ViewMeta(view, current.definition(), current.generation(), current.application(), false));
        generations.put(view, next);
        start(next);
        return next.application();
    }

    /**
     * Follows what other instances recorded: a view they rebuilt runs its new generation here too
     * (they cleared its table); a view they redefined stops here (this instance's joins for it are
     * out of date, and would write rows of the old definition into the rebuilt table).
     *
     * @param recorded the views' records in {@code <ns>-meta}
     */
    public synchronized void follow(Collection<ViewMeta> recorded) {
        for (ViewMeta r : recorded) {
            ViewMeta mine = generations.get(r.view());
            if (mine == null || r.generation() <= mine.generation()) {
                continue;
            }
            parts.fences().generation(r.view(), r.generation());
            if (inTables(mine)) {
                followFromTables(mine, r);
                continue;
            }
            if (r.ready() && r.definition().equals(mine.definition())) {
                stop(r.view());
                runOthers(r);
            } else if (!r.definition().equals(mine.definition()) && running.containsKey(r.view())) {
                stop(r.view());
                supersede(mine, r);
            }
        }
    }

    /**
     * Another instance moved a view that a tables application computes here to a generation of its
     * own (a rebuild, a redefinition): the copy here stops writing at once; once that generation is
     * ready, this instance runs it too if its joins are the same here.
     */
    private void followFromTables(ViewMeta mine, ViewMeta r) {
        parts.fences().close(r.view());
        if (!r.ready()) {
            return; // its table is being cleared; the ready record follows
        }
        if (r.definition().equals(EngineNames.definitionHash(spec.get().joinsOf(r.view()), ownTopics(r.view())))) {
            runOthers(r);
        } else {
            supersede(mine, r);
        }
    }

    /** Runs the generation another instance rebuilt a view into (the same joins as here). */
    private void runOthers(ViewMeta r) {
        generations.put(r.view(), r);
        start(r);
        LOG.info("View {}: another instance rebuilt it; now running generation {}", r.view(), r.generation());
    }

    /** Another instance redefined a view: this one (its generation stopped) says so until restarted with the new joins. */
    private void supersede(ViewMeta mine, ViewMeta r) {
        generations.remove(r.view()); // nothing here to settle or rebuild any more
        String why = "view " + r.view() + " was redefined by another instance (generation " + r.generation() + ", application "
                + r.application() + "); this instance stopped its generation " + mine.generation() + " of the old definition."
                + " Restart it with the new joins (joins installed with install-joins are picked up by themselves within 10 s)";
        superseded.put(r.view(), why);
        LOG.error(why);
    }

    /** @return every running view application, by application id (they stay running) */
    public synchronized Map<String, KafkaStreams> running() {
        Map<String, KafkaStreams> out = new LinkedHashMap<>();
        running.forEach((v, ks) -> out.put(generations.get(v).application(), ks));
        return out;
    }

    /** @return every running view application, by application id; they are forgotten (the caller closes them) */
    public synchronized Map<String, KafkaStreams> takeAll() {
        Map<String, KafkaStreams> out = running();
        running.clear();
        return out;
    }

    /** Decides a view's application: the recorded one if its definition is unchanged, else a new one on a cleared table. */
    private ViewMeta prepare(String view, ViewMeta recorded) {
        String inTables = layout.computedIn(view);
        if (inTables != null && layout.computesCurrent(view)
                && (recorded == null || recorded.application().equals(inTables) && recorded.ready())) {
            // Computed inside its tables application, as it has been since its first generation.
            ViewMeta m = recorded != null ? recorded
                    : new ViewMeta(view, EngineNames.definitionHash(spec.get().joinsOf(view), tableTopics(view)), 0, inTables, true);
            if (recorded == null) {
                parts.meta().write(m);
            }
            parts.fences().generation(view, m.generation());
            return m;
        }
        if (inTables != null) {
            parts.fences().close(view); // the copy in the tables application writes no more rows
        }
        // The topics read are part of the definition: a source table materialized by another
        // application after a restart has another changelog, and the view is rebuilt from it.
        String def = EngineNames.definitionHash(spec.get().joinsOf(view), ownTopics(view));
        if (recorded != null && recorded.definition().equals(def) && recorded.ready()) {
            parts.fences().generation(view, recorded.generation());
            return recorded;
        }
        int gen = recorded == null ? 0 : recorded.generation() + 1;
        parts.fences().generation(view, gen);
        // A generation computed inside a tables application cannot be stopped by leaving a group:
        // its rows are fenced off by the generation markers instead (ViewFences).
        boolean fromTables = inTables(recorded);
        if (recorded != null) {
            LOG.info("View {}: definition changed or rebuild pending; rebuilding as generation {}", view, gen);
        }
        ViewMeta next = new ViewMeta(view, def, gen, parts.names().viewApplication(view, def, gen), true);
        if (recorded != null && !recorded.definition().equals(def)) {
            // Another definition: instances still running the old one must stop before the table is
            // cleared, or they write its rows into the rebuilt table. The new generation, recorded as
            // not ready, tells them so (they look every 10 s); then their group empties.
            parts.meta().write(new ViewMeta(view, def, gen, next.application(), false));
            if (!fromTables) {
                awaitGroupEmpty(view, recorded.application());
            }
        }
        int cleared = parts.meta().clearTable(view, recorded == null ? -1 : gen);
        if (cleared > 0) {
            LOG.info("View {}: wrote {} tombstones erasing the rows of an earlier definition before rebuilding", view, cleared);
        }
        parts.meta().write(next);
        if (recorded != null && !fromTables) {
            deleteInternalTopicsOnceStopped(recorded.application());
        }
        return next;
    }

    /**
     * Deletes an old generation's internal topics once no instance runs it any more (they stop it
     * when they see the new generation, within 10 s), in the background: deleting them under a
     * running member left its close hanging while its restore consumer looked for them.
     */
    private void deleteInternalTopicsOnceStopped(String application) {
        Thread t = new Thread(() -> {
            long deadline = System.nanoTime() + OLD_GENERATION_TIMEOUT.multipliedBy(4).toNanos();
            try {
                while (parts.admin().hasMembers(application) && System.nanoTime() < deadline) {
                    Thread.sleep(500);
                }
                parts.admin().deleteInternalTopics(application);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (RuntimeException e) {
                LOG.warn("Could not delete the internal topics of {}: {}", application, e.toString());
            }
        }, "pequod-delete-" + application);
        t.setDaemon(true);
        t.start();
    }

    /** Waits until no instance runs an application any more (at most {@link #OLD_GENERATION_TIMEOUT}). */
    private void awaitGroupEmpty(String view, String application) {
        long deadline = System.nanoTime() + OLD_GENERATION_TIMEOUT.toNanos();
        boolean logged = false;
        while (parts.admin().hasMembers(application)) {
            if (System.nanoTime() > deadline) {
                LOG.warn("View {}: {} still has members after {} s (instances running the old definition, or one that stopped "
                        + "without leaving and has not expired yet); rebuilding anyway: rows they write of the old definition "
                        + "would stay in the table until the next rebuild", view, application, OLD_GENERATION_TIMEOUT.toSeconds());
                return;
            }
            if (!logged) {
                LOG.info("View {}: waiting for the instances running {} to stop it", view, application);
                logged = true;
            }
            try {
                Thread.sleep(250);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    /** Stops a view's application for good and deletes its local state (a new generation replaces it). */
    private void stop(String view) {
        KafkaStreams old = running.remove(view);
        ViewMeta m = generations.get(view);
        if (inTables(m)) {
            parts.fences().close(view); // its tables application goes on; this view's rows stop there
            return;
        }
        if (old == null) {
            return;
        }
        parts.streams().close(m != null ? m.application() : view, old);
        try {
            old.cleanUp();
        } catch (IllegalStateException stillClosing) {
            // Its close timed out (for example while its internal topics were deleted under it by
            // the instance that rebuilt the view): its state stays on disk, and the view moves on.
            LOG.warn("View {}: the old application did not close in time; its state directory is left: {}", view,
                    stillClosing.getMessage());
            return;
        }
        if (m != null) {
            // cleanUp keeps the application's directory when files other than task state are left in it
            try {
                Utils.delete(parts.streams().stateDir().resolve(m.application()).toFile());
            } catch (IOException e) {
                LOG.warn("Could not delete the state of {}: {}", m.application(), e.toString());
            }
        }
    }

    private void start(ViewMeta m) {
        if (!inTables(m)) {
            create(m).start();
        }
    }

    /** @return the view's application, created and registered, not started */
    private KafkaStreams create(ViewMeta m) {
        List<Join> joins = spec.get().joinsOf(m.view());
        int n = joins.stream().flatMap(j -> j.sources().stream())
                .mapToInt(s -> parts.partitions().getOrDefault(s.table(), parts.defaultPartitions())).max().orElse(parts.defaultPartitions());
        KafkaStreams ks = parts.streams().create(m.application(), parts.topologies(n)
                .readingChangelogs(parts.runsTables() ? layout::changelogOf : null).materializingViews(layout::isView)
                .viewTopology(m.view(), joins, m.generation(), m.application()));
        running.put(m.view(), ks);
        superseded.remove(m.view()); // maintained here again (the new joins were installed here too)
        return ks;
    }
}
