package io.pequod.views;

import io.pequod.schemas.PartitionRule;
import io.pequod.views.config.EngineConfig;
import io.pequod.views.internals.engine.EngineApplications;
import io.pequod.views.internals.engine.EngineParts;
import io.pequod.views.internals.engine.SettleBarrier;
import io.pequod.views.internals.engine.SourceApplications;
import io.pequod.views.internals.engine.SpecInstaller;
import io.pequod.views.internals.engine.StateMachine;
import io.pequod.views.internals.engine.StreamsSettings;
import io.pequod.views.internals.engine.TableLayout;
import io.pequod.views.internals.engine.TableWatch;
import io.pequod.views.internals.engine.ViewGenerations;
import io.pequod.views.internals.engine.ViewMetaStore;
import io.pequod.views.progress.ApplicationProgress;
import io.pequod.views.progress.SourceStatus;
import io.pequod.views.progress.StoreProgress;
import io.pequod.views.spec.JoinSpec;
import io.pequod.views.spec.JoinSpecException;
import org.apache.kafka.streams.KafkaStreams;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The embeddable view engine: keeps a {@link JoinSpec}'s views fresh on Kafka Streams (applications named in
 * {@code EngineNames}). A facade: the tables applications ({@code TableLayout}), view generations ({@code ViewGenerations}),
 * joins in force ({@code SpecInstaller}), settle barrier ({@code SettleBarrier}), new tables ({@code TableWatch}) and
 * Streams configuration ({@code StreamsSettings}) each do one job in {@code internals.engine}. How to
 * use it: the package's documentation. Its lifecycle ({@link State}) and its lock are its own: callers may hold the facade's monitor.
 */
public final class ViewEngine implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ViewEngine.class);

    /** The engine's lifecycle, as {@code KafkaStreams.State} is an application's (transitions checked). */
    public enum State {
        /** Built, not started. */ CREATED,
        /** Creating topics and applications. */ STARTING,
        /** Its applications run (each may still be rebalancing: see {@link #state()}). */
        RUNNING,
        /** One of its applications stopped on an unexpected error (its views no longer update; see {@link #problems()}). */
        ERROR,
        /** Closing. */
        PENDING_SHUTDOWN,
        /** Closed, or failed to start. */
        NOT_RUNNING
    }

    private static final Map<State, Set<State>> TRANSITIONS = Map.of(State.CREATED, Set.of(State.STARTING, State.NOT_RUNNING),
            State.STARTING, Set.of(State.RUNNING, State.NOT_RUNNING), State.RUNNING, Set.of(State.ERROR, State.PENDING_SHUTDOWN),
            State.ERROR, Set.of(State.PENDING_SHUTDOWN), State.PENDING_SHUTDOWN, Set.of(State.NOT_RUNNING));

    /** What {@link #install} did: joins and sources added as written, views started (by application id), tables brought. */
    public record Installed(List<String> added, Map<String, String> views, Set<String> tables) {
    }

    private final EngineConfig config;
    private final PartitionRule rule;
    private final StreamsSettings settings;
    private final StoreProgress progress = new StoreProgress();
    private final SpecInstaller installer;
    private final StateMachine<State> lifecycle;
    /** The engine's lock (not the facade's monitor, which callers may hold): start, install, rebuild, close, table refreshes. */
    private final Object lock = new Object();
    private EngineParts parts;
    private TableLayout layout;
    private ViewGenerations views;
    private SourceApplications sources;
    private SettleBarrier barrier;
    private TableWatch watch;
    private volatile ViewCatalog catalog; // rebuilt when the set of tables or the joins change

    ViewEngine(EngineConfig config, JoinSpec spec, PartitionRule rule, Path stateDir, String applicationServer, String instanceId) {
        this.config = config;
        this.rule = rule;
        this.settings = new StreamsSettings(config, stateDir, applicationServer, instanceId);
        this.installer = new SpecInstaller(spec);
        this.lifecycle = new StateMachine<>("View engine of namespace " + config.topics().namespace(), State.CREATED, TRANSITIONS);
    }

    /** @return a builder; bootstrap servers and registry URL are required */
    public static ViewEngineBuilder builder() {
        return new ViewEngineBuilder();
    }

    /**
     * Creates missing topics, then starts the tables applications and every view's application.
     * @return this engine
     * @throws io.pequod.schemas.PequodException if Kafka or the registry cannot be reached
     * @throws IllegalStateException             if it was started before
     */
    public ViewEngine start() {
        synchronized (lock) {
            if (!lifecycle.moveIf(State.CREATED, State.STARTING)) {
                throw new IllegalStateException("View engine of namespace " + config.topics().namespace() + " is " + lifecycle.state()
                        + "; only a new engine can start");
            }
            startApplications();
        }
        LOG.info("View engine started: namespace {} tables {} views {}", config.topics().namespace(), parts.tables(),
                installer.spec().materializedViewTables());
        return this;
    }

    private void startApplications() {
        try {
            parts = EngineParts.open(config, rule, settings, progress);
            ViewMetaStore.Records records = parts.meta().read();
            installer.loadRecorded(parts, records);
            parts.startWith(installer.spec());
            layout = new TableLayout(parts, installer::spec);
            views = new ViewGenerations(parts, layout, installer::spec);
            sources = new SourceApplications(parts);
            installer.running(layout, views, sources);
            barrier = new SettleBarrier(parts, layout, views, this::allRunning);
            watch = new TableWatch(parts, layout, installer, lock, () -> lifecycle.state() == State.RUNNING);
            layout.plan(records, installer.spec());
            views.prepareAll(records.views());
            StreamsSettings.inParallel(List.of(layout::start, views::startAll, () -> sources.startNew(installer.spec())));
        } catch (RuntimeException | Error e) {
            lifecycle.move(State.NOT_RUNNING);
            applications().closeAll(settings, parts);
            throw e;
        }
        lifecycle.move(State.RUNNING);
    }

    /** @return the engine's lifecycle state: {@link State#ERROR} once one of its applications stopped on an error */
    public State engineState() {
        if (lifecycle.state() == State.RUNNING && !applications().failed().isEmpty()) {
            lifecycle.moveIf(State.RUNNING, State.ERROR);
        }
        return lifecycle.state();
    }

    private EngineApplications applications() {
        return new EngineApplications(layout, views, sources);
    }

    /** In the background: materializes tables created since start (writers, other instances) and installs joins others recorded. */
    public void refreshTables() {
        TableWatch w = watch;
        if (lifecycle.state() == State.RUNNING && w != null) {
            w.refreshInBackground();
        }
    }

    /**
     * Installs joins as if they had been given at start (tables created and materialized, new or
     * changed views started under a new generation), recorded in {@code <ns>-meta} for restarts and
     * other instances. Joins already in force are skipped: installing a spec twice is harmless.
     *
     * @param name the spec's name, for positions in error messages (e.g. the file name)
     * @param text the spec text, in Pequod's join language
     * @return what was installed
     * @throws JoinSpecException if the text is invalid, or does not fit the joins in force
     */
    public Installed install(String name, String text) {
        synchronized (lock) {
            requireRunning();
            SpecInstaller.Result r = installer.install(name, text);
            catalog = null;
            return new Installed(r.added(), r.views(), r.tables());
        }
    }

    /**
     * Rebuilds one view from the compacted topics: stops its application, erases the view's keys,
     * and starts a new generation that re-reads its sources from the beginning.
     *
     * @param view a maintained view table
     * @return the new generation's application id
     * @throws IllegalArgumentException if {@code view} is not a maintained view of the spec
     */
    public String rebuild(String view) {
        synchronized (lock) {
            requireRunning();
            return views.rebuild(view);
        }
    }

    /**
     * Waits until everything written to the tables before this call is reflected in this instance's stores, views included.
     *
     * @param timeout how long to wait
     * @return whether everything settled in time
     * @throws InterruptedException if interrupted
     */
    public boolean awaitSettled(Duration timeout) throws InterruptedException {
        requireRunning();
        return barrier.await(System.nanoTime() + timeout.toNanos());
    }

    /** Waits until every application is RUNNING. @param timeout how long @return whether all were in time @throws InterruptedException if interrupted */
    public boolean awaitRunning(Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            if (allRunning()) {
                return true;
            }
            Thread.sleep(50);
        }
        return false;
    }

    private boolean allRunning() {
        return state().values().stream().allMatch(x -> x == KafkaStreams.State.RUNNING);
    }

    /** @return each application's Streams state, by application id */
    public Map<String, KafkaStreams.State> state() {
        return applications().states();
    }

    /** @return the catalog of tables, stores and partitioners for the query side */
    public ViewCatalog catalog() {
        if (parts == null) {
            throw new IllegalStateException("View engine of namespace " + config.topics().namespace() + " is not started");
        }
        ViewCatalog c = catalog;
        JoinSpec current = installer.spec();
        if (c == null || c.tables().size() != parts.tables().size() || c.spec() != current) {
            Set<String> snapshot = Set.copyOf(parts.tables());
            c = new ViewCatalog(config.topics(), rule, current, layout::streamsOf, () -> snapshot, Map.copyOf(parts.partitions()),
                    parts.liveStores()::get, layout.copyLags()::lag, config.getBoolean(EngineConfig.CREATION_TIMES), applications()::metrics);
            catalog = c;
        }
        return c;
    }

    /** @return problems an operator must act on, by view or application: views redefined elsewhere, applications failed */
    public Map<String, String> problems() {
        Map<String, String> out = new LinkedHashMap<>(views == null ? Map.of() : views.problems());
        applications().failed().forEach(a -> out.put(a, "application " + a + " stopped on an unexpected error (see the log);"
                + " its views no longer update until this instance is restarted"));
        return out;
    }

    /** @return the joins in force: those given at start and those installed since */
    public JoinSpec spec() {
        return installer.spec();
    }

    /** @return what this instance's table stores applied: offsets, change results, statistics */
    public StoreProgress progress() {
        return progress;
    }

    /** @return records sent to the dead-letter topic since start */
    public long deadLetterCount() {
        return parts == null ? 0 : parts.deadLetters().get();
    }

    /** @return the declared sources: their applications' states, lags and dead letters */
    public List<SourceStatus> sources() {
        return sources == null ? List.of() : sources.status();
    }

    /** @return each application's way through its input (installs and rebuilds catching up), read at most once a second */
    public List<ApplicationProgress> applicationProgress() {
        return parts == null ? List.of() : parts.report().report(applications().clients());
    }

    /** @return the partial views computed here: reads materialize their ranges through it */
    public PartialViews partialViews() {
        return new PartialViews(parts == null ? null : parts.onDemand());
    }

    /** @return the partitioning rule: writers must use it too */
    public PartitionRule partitionRule() {
        return rule;
    }

    /** Stops every application, side by side, leaving their groups (so that a restart does not wait). */
    @Override
    public void close() {
        synchronized (lock) {
            if (lifecycle.moveIf(State.CREATED, State.NOT_RUNNING) || lifecycle.state() == State.NOT_RUNNING) {
                return;
            }
            lifecycle.move(State.PENDING_SHUTDOWN);
            applications().closeAll(settings, parts);
            parts.onDemand().close();
            lifecycle.move(State.NOT_RUNNING);
        }
    }

    private void requireRunning() {
        if (engineState() != State.RUNNING) {
            throw new IllegalStateException("View engine of namespace " + config.topics().namespace() + " is " + engineState() + ", not RUNNING");
        }
    }
}
