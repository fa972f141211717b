package io.pequod.views;

import io.pequod.schemas.PartitionRule;
import io.pequod.views.config.EngineConfig;
import io.pequod.views.internals.engine.EngineParts;
import io.pequod.views.internals.engine.SettleBarrier;
import io.pequod.views.internals.engine.SourceApplications;
import io.pequod.views.internals.engine.SpecInstaller;
import io.pequod.views.internals.engine.StreamsSettings;
import io.pequod.views.internals.engine.TableLayout;
import io.pequod.views.internals.engine.TableWatch;
import io.pequod.views.internals.engine.ViewGenerations;
import io.pequod.views.internals.engine.ViewMetaStore;
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
 * The embeddable view engine: keeps a {@link JoinSpec}'s views fresh on Kafka Streams, one
 * application materializing the tables into queryable stores and one per view (see
 * {@code EngineNames}). A facade: the tables applications ({@code TableLayout}), the view
 * generations ({@code ViewGenerations}), the joins in force ({@code SpecInstaller}), the settle
 * barrier ({@code SettleBarrier}), new tables ({@code TableWatch}) and the Streams configuration
 * ({@code StreamsSettings}) each do one job in {@code internals.engine}.
 *
 * <pre>{@code
 * try (ViewEngine engine = ViewEngine.builder().bootstrapServers(b).schemaRegistryUrl(r)
 *         .spec(JoinSpecParser.parse(path)).stateDir(dir).build()) {
 *     engine.start();
 *     engine.awaitRunning(Duration.ofMinutes(1));
 *     engine.catalog().store("t").get(key);
 * }
 * }</pre>
 */
public final class ViewEngine implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ViewEngine.class);

    /** The engine's lifecycle, as {@code KafkaStreams.State} is an application's. */
    public enum State {
        /** Built, not started. */
        CREATED,
        /** Creating topics and applications. */
        STARTING,
        /** Its applications run (each may still be rebalancing: see {@link #state()}). */
        RUNNING,
        /** Closing. */
        PENDING_SHUTDOWN,
        /** Closed, or failed to start. */
        NOT_RUNNING
    }

    /** What {@link #install} did: joins and sources added as written, views started (by application id), tables brought. */
    public record Installed(List<String> added, Map<String, String> views, Set<String> tables) {
    }

    private final EngineConfig config;
    private final PartitionRule rule;
    private final StreamsSettings settings;
    private final StoreProgress progress = new StoreProgress();
    private final SpecInstaller installer;
    private volatile State state = State.CREATED;
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
    }

    /** @return a builder; bootstrap servers and registry URL are required */
    public static ViewEngineBuilder builder() {
        return new ViewEngineBuilder();
    }

    /**
     * Creates missing topics, then starts the tables applications and every view's application.
     *
     * @return this engine
     * @throws io.pequod.schemas.PequodException if Kafka or the registry cannot be reached
     * @throws IllegalStateException             if it was started before
     */
    public synchronized ViewEngine start() {
        if (state != State.CREATED) {
            throw new IllegalStateException("View engine of namespace " + config.topics().namespace() + " is " + state
                    + "; only a new engine can start");
        }
        state = State.STARTING;
        try {
            parts = EngineParts.open(config, rule, settings, progress);
            ViewMetaStore.Records records = parts.meta().read();
            installer.loadRecorded(parts, records);
            parts.startWith(installer.spec());
            layout = new TableLayout(parts);
            views = new ViewGenerations(parts, layout, installer::spec);
            sources = new SourceApplications(parts);
            installer.running(layout, views, sources);
            barrier = new SettleBarrier(parts, layout, views, this::allRunning);
            watch = new TableWatch(parts, layout, installer, this, () -> state == State.RUNNING);
            layout.plan(records.tableApplications(), installer.spec());
            views.prepareAll(records.views());
            StreamsSettings.inParallel(List.of(layout::start, views::startAll, () -> sources.startNew(installer.spec())));
        } catch (RuntimeException | Error e) {
            state = State.NOT_RUNNING;
            closeApplications();
            throw e;
        }
        state = State.RUNNING;
        LOG.info("View engine started: namespace {} tables {} views {}", config.topics().namespace(), parts.tables(),
                installer.spec().materializedViewTables());
        return this;
    }

    /** @return the engine's lifecycle state */
    public State engineState() {
        return state;
    }

    /**
     * Materializes table topics created since start (by writers of new tables, or other
     * instances), each by an application of its own, and installs joins other instances recorded;
     * in the background. Queries of a new table answer 503 until it is running.
     */
    public void refreshTables() {
        TableWatch w = watch;
        if (state == State.RUNNING && w != null) {
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
    public synchronized Installed install(String name, String text) {
        requireRunning();
        SpecInstaller.Result r = installer.install(name, text);
        catalog = null;
        return new Installed(r.added(), r.views(), r.tables());
    }

    /**
     * Rebuilds one view from the compacted topics: stops its application, erases the view's keys,
     * and starts a new generation that re-reads its sources from the beginning.
     *
     * @param view a maintained view table
     * @return the new generation's application id
     * @throws IllegalArgumentException if {@code view} is not a maintained view of the spec
     */
    public synchronized String rebuild(String view) {
        requireRunning();
        return views.rebuild(view);
    }

    /**
     * Waits until everything written to the tables before this call is reflected in this
     * instance's stores, views included. A barrier for workloads that must read exact results.
     *
     * @param timeout how long to wait
     * @return whether everything settled in time
     * @throws InterruptedException if interrupted
     */
    public boolean awaitSettled(Duration timeout) throws InterruptedException {
        requireRunning();
        return barrier.await(System.nanoTime() + timeout.toNanos());
    }

    /**
     * Waits until every application is RUNNING.
     *
     * @param timeout how long @return whether all were in time @throws InterruptedException if interrupted
     */
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
        return state().values().stream().allMatch(s -> s == KafkaStreams.State.RUNNING);
    }

    /** @return each application's Streams state, by application id */
    public Map<String, KafkaStreams.State> state() {
        Map<String, KafkaStreams.State> out = new LinkedHashMap<>();
        if (layout != null) {
            out.putAll(layout.states());
        }
        if (views != null) {
            out.putAll(views.states());
        }
        if (sources != null) {
            out.putAll(sources.states());
        }
        return out;
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
                    parts.liveStores()::get, layout.copyLags()::lag, config.getBoolean(EngineConfig.CREATION_TIMES));
            catalog = c;
        }
        return c;
    }

    /**
     * @return problems an operator must act on, by view (empty when there are none): views this
     * instance stopped maintaining because another instance redefined them
     */
    public Map<String, String> problems() {
        return views == null ? Map.of() : views.problems();
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

    /** @return the partitioning rule: writers must use it too */
    public PartitionRule partitionRule() {
        return rule;
    }

    /** Stops every application, side by side, leaving their groups (so that a restart does not wait). */
    @Override
    public synchronized void close() {
        if (state == State.NOT_RUNNING || state == State.CREATED) {
            state = State.NOT_RUNNING;
            return;
        }
        state = State.PENDING_SHUTDOWN;
        closeApplications();
        state = State.NOT_RUNNING;
    }

    private void closeApplications() {
        Map<String, KafkaStreams> all = new LinkedHashMap<>();
        if (sources != null) {
            all.putAll(sources.takeAll());
        }
        if (views != null) {
            all.putAll(views.takeAll());
        }
        if (layout != null) {
            all.putAll(layout.all());
        }
        settings.closeAll(all);
        if (parts != null) {
            parts.admin().close();
        }
    }

    private void requireRunning() {
        if (state != State.RUNNING) {
            throw new IllegalStateException("View engine of namespace " + config.topics().namespace() + " is " + state
                    + ", not RUNNING");
        }
    }
}
