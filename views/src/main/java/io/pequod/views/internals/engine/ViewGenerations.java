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

    /** @return the running application of a view, or {@code null} */
    public synchronized KafkaStreams streams(String view) {
        return running.get(view);
    }

    /** @return views this instance stopped because another instance redefined them, with why */
    public Map<String, String> problems() {
        return new TreeMap<>(superseded);
    }

    /** @return the topics a view's application reads its sources from */
    public List<String> sourceTopics(String view) {
        return spec.get().joinsOf(view).stream().flatMap(j -> j.sources().stream()).map(s -> s.table()).distinct()
                .map(t -> parts.runsTables() ? layout.changelogOf(t) : parts.topics().tableTopic(t)).toList();
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
        StreamsSettings.startAll(generations.values().stream().map(this::create).toList());
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
            if (r.ready() && r.definition().equals(mine.definition())) {
                stop(r.view());
                generations.put(r.view(), r);
                start(r);
                LOG.info("View {}: another instance rebuilt it; now running generation {}", r.view(), r.generation());
            } else if (!r.definition().equals(mine.definition()) && running.containsKey(r.view())) {
                stop(r.view());
                generations.remove(r.view()); // nothing here to settle or rebuild any more
                String why = "view " + r.view() + " was redefined by another instance (generation " + r.generation()
                        + ", application " + r.application() + "); this instance stopped its generation " + mine.generation()
                        + " of the old definition. Restart it with the new joins (joins installed with install-joins are"
                        + " picked up by themselves within 10 s)";
                superseded.put(r.view(), why);
                LOG.error(why);
            }
        }
    }

    /** @return each view application's Streams state, by application id */
    public synchronized Map<String, KafkaStreams.State> states() {
        Map<String, KafkaStreams.State> out = new LinkedHashMap<>();
        running.forEach((v, ks) -> out.put(generations.get(v).application(), ks.state()));
        return out;
    }

    /** @return every running view application, by application id; they are forgotten (the caller closes them) */
    public synchronized Map<String, KafkaStreams> takeAll() {
        Map<String, KafkaStreams> out = new LinkedHashMap<>();
        running.forEach((v, ks) -> out.put(generations.get(v).application(), ks));
        running.clear();
        return out;
    }

    /** Decides a view's application: the recorded one if its definition is unchanged, else a new one on a cleared table. */
    private ViewMeta prepare(String view, ViewMeta recorded) {
        // The topics read are part of the definition: a source table materialized by another
        // application after a restart has another changelog, and the view is rebuilt from it.
        String def = EngineNames.definitionHash(spec.get().joinsOf(view), sourceTopics(view));
        if (recorded != null && recorded.definition().equals(def) && recorded.ready()) {
            return recorded;
        }
        int gen = recorded == null ? 0 : recorded.generation() + 1;
        if (recorded != null) {
            LOG.info("View {}: definition changed or rebuild pending; rebuilding as generation {}", view, gen);
        }
        ViewMeta next = new ViewMeta(view, def, gen, parts.names().viewApplication(view, def, gen), true);
        if (recorded != null && !recorded.definition().equals(def)) {
            // Another definition: instances still running the old one must stop before the table is
            // cleared, or they write its rows into the rebuilt table. The new generation, recorded as
            // not ready, tells them so (they look every 10 s); then their group empties.
            parts.meta().write(new ViewMeta(view, def, gen, next.application(), false));
            awaitGroupEmpty(view, recorded.application());
        }
        int cleared = parts.meta().clearTable(view);
        if (cleared > 0) {
            LOG.info("View {}: wrote {} tombstones erasing the rows of an earlier definition before rebuilding", view, cleared);
        }
        parts.meta().write(next);
        if (recorded != null) {
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
        create(m).start();
    }

    /** @return the view's application, created and registered, not started */
    private KafkaStreams create(ViewMeta m) {
        List<Join> joins = spec.get().joinsOf(m.view());
        int n = joins.stream().flatMap(j -> j.sources().stream())
                .mapToInt(s -> parts.partitions().getOrDefault(s.table(), parts.defaultPartitions())).max().orElse(parts.defaultPartitions());
        KafkaStreams ks = parts.streams().create(m.application(), parts.topologies(n)
                .readingChangelogs(parts.runsTables() ? layout::changelogOf : null).materializingViews(layout::isView)
                .viewTopology(m.view(), joins, m.application()));
        running.put(m.view(), ks);
        superseded.remove(m.view()); // maintained here again (the new joins were installed here too)
        return ks;
    }
}
