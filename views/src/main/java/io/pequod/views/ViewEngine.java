package io.pequod.views;

import io.pequod.schemas.PartitionRule;
import io.pequod.schemas.PequodException;
import io.pequod.schemas.SchemaRegistryClient;
import io.pequod.schemas.TableTopics;
import io.pequod.schemas.avro.Change;
import io.pequod.views.internals.compile.TopologyFactory;
import io.pequod.views.internals.engine.EngineAdmin;
import io.pequod.views.internals.engine.ViewMetaStore;
import io.pequod.views.internals.engine.ViewMetaStore.ViewMeta;
import io.pequod.views.spec.Join;
import io.pequod.views.spec.JoinSpec;
import io.pequod.views.spec.JoinSpecException;
import io.pequod.views.spec.JoinSpecParser;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.streams.CloseOptions;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The embeddable view engine: keeps a {@link JoinSpec}'s views fresh on Kafka Streams.
 *
 * <p>Applications: one Streams application materializes every table topic into its queryable
 * store {@code table-<table>} ({@code <ns>-tables}); each view table has its own application
 * ({@code <ns>-view-<table>-<definition>-g<generation>}) that reads its source tables from the
 * beginning and writes the view's table topic. So a view can be added, rebuilt or changed
 * without touching the others, at the cost of one stream thread and a copy of its sources'
 * state per view. Views and their generations are recorded in the compacted topic {@code <ns>-meta}.
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

    private final Builder cfg;
    private final TableTopics topics;
    private final PartitionRule rule;
    private final SchemaRegistryClient registry;
    private final AtomicLong deadLetters = new AtomicLong();
    private final StoreProgress progress = new StoreProgress();
    private final io.pequod.views.internals.processor.Positions positions = new io.pequod.views.internals.processor.Positions();
    private final io.pequod.views.internals.processor.LiveStores liveStores = new io.pequod.views.internals.processor.LiveStores();
    /** Names this engine's producer acknowledgement counters apart from other engines' in the JVM. */
    private final String ackPrefix = java.util.UUID.randomUUID() + "/";
    private final Map<String, KafkaStreams> views = new LinkedHashMap<>();
    private final Map<String, ViewMeta> viewMeta = new LinkedHashMap<>();
    /** Views this instance stopped maintaining because another instance redefined them, with why. */
    private final Map<String, String> superseded = new java.util.concurrent.ConcurrentHashMap<>();
    private final Map<String, Integer> partitions = new java.util.concurrent.ConcurrentHashMap<>();
    private final Set<String> tables = java.util.concurrent.ConcurrentHashMap.newKeySet();
    private final java.util.concurrent.atomic.AtomicBoolean refreshing = new java.util.concurrent.atomic.AtomicBoolean();
    private volatile KafkaStreams tablesApp;
    /** The catalog, rebuilt when the set of tables changes. */
    private volatile ViewCatalog catalog;
    /** Tables discovered after start, each materialized by an application of its own. */
    private final Map<String, KafkaStreams> lateTables = new java.util.concurrent.ConcurrentHashMap<>();
    /** The application id of each table in {@link #lateTables}. */
    private final Map<String, String> lateApplications = new java.util.concurrent.ConcurrentHashMap<>();
    /** The joins in force: the builder's spec plus those installed at run time. */
    private volatile JoinSpec spec;
    /** Spec texts installed at run time (also recorded in {@code <ns>-meta}). */
    private final List<ViewMetaStore.InstalledSpec> installed = new ArrayList<>();
    private EngineAdmin admin;
    private ViewMetaStore meta;
    private TopologyFactory factory;
    private boolean started;
    /** End offset of {@code <ns>-meta} when this engine last read the installed specs. */
    private long metaEnd = -1;
    /** The tables of each tables application (the main one as first recorded), as last read from {@code <ns>-meta}. */
    private Map<String, List<String>> recordedLayout = Map.of();
    /** The tables of this instance's main tables application (empty if it runs none). */
    private List<String> mainTables = List.of();

    private ViewEngine(Builder b) {
        this.cfg = b;
        this.topics = TableTopics.of(b.namespace);
        PartitionRule r = PartitionRule.standard();
        for (Map.Entry<String, Integer> e : b.spec.fixedFirstFieldWidths().entrySet()) {
            r = r.withFixedWidth(e.getKey(), e.getValue());
        }
        this.rule = r;
        this.spec = b.spec;
        this.registry = SchemaRegistryClient.shared(b.schemaRegistryUrl);
    }

    /** @return a builder; bootstrap servers and registry URL are required */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Creates missing topics, then starts the tables application and every view's application.
     *
     * @return this engine
     * @throws PequodException if Kafka or the registry cannot be reached
     */
    public synchronized ViewEngine start() {
        if (started) {
            throw new IllegalStateException("View engine of namespace " + topics.namespace() + " is already started");
        }
        started = true;
        Map<String, Object> client = clientConfig();
        admin = new EngineAdmin(client, topics);
        meta = new ViewMetaStore(client, topics);
        admin.ensureTopics(Map.of()); // the meta topic
        ViewMetaStore.Records records = meta.read();
        recordedLayout = records.tableApplications();
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
            meta.writeInstalled(installed);
        }
        Set<String> wanted = new LinkedHashSet<>(spec.allTables());
        wanted.addAll(cfg.extraTables);
        Set<String> existing = admin.existingTables();
        Map<String, Integer> create = new LinkedHashMap<>();
        for (String t : wanted) {
            if (!existing.contains(t)) {
                create.put(t, spec.declaredPartitions(t).orElse(cfg.partitions));
            }
        }
        admin.ensureTopics(create);
        tables.addAll(wanted);
        tables.addAll(existing);
        partitions.putAll(admin.partitions(tables));
        for (String t : tables) {
            registry.register(topics.tableTopic(t) + "-value", Change.SCHEMA$); // warm caches off the stream threads
        }
        String tablesId = topics.namespace() + "-tables";
        int maxPartitions = partitions.values().stream().mapToInt(Integer::intValue).max().orElse(cfg.partitions);
        factory = new TopologyFactory(topics, rule, registry, deadLetters, maxPartitions, progress, partitions)
                .committingOnRequest(cfg.exactlyOnce ? progress.commitRequests() : null).trackingPositions(positions)
                .registeringStoresIn(liveStores);
        List<KafkaStreams> late = new ArrayList<>();
        if (cfg.tablesApplication) {
            // Tables that came after an earlier start stay with the applications that materialized
            // them (their stores and changelogs, which views read, are kept).
            for (Map.Entry<String, List<String>> e : records.tableApplications().entrySet()) {
                List<String> ts = e.getValue().stream().filter(tables::contains).toList();
                if (!ts.isEmpty() && !e.getKey().equals(tablesId)) {
                    late.add(lateApplication(e.getKey(), ts));
                }
            }
            // The main application's tables as the first instance recorded them: instances of one
            // application must run the same topology (Streams stops the others' otherwise), so tables
            // this instance brings besides them (a spec with a new table, a table created since) get
            // an application of their own, as installed joins' tables do.
            List<String> recordedMain = records.tableApplications().get(tablesId);
            if (recordedMain != null) {
                Set<String> extra = new TreeSet<>(tables);
                extra.removeAll(lateApplications.keySet());
                extra.removeAll(recordedMain);
                if (!extra.isEmpty()) {
                    late.add(lateApplication(topics.namespace() + "-tables-" + definitionHash(List.of(), List.copyOf(extra)), extra));
                    LOG.info("Tables {} are not in the main tables application of this namespace; materialized by an application of their own",
                            extra);
                }
            }
            // Views read their sources from these (see changelogOf); they must exist before the
            // views start, which may be before the tables application has created them.
            Map<String, Integer> changelogs = new LinkedHashMap<>();
            for (String t : spec.allTables()) {
                changelogs.put(changelogOf(t), partitions.get(t));
            }
            admin.ensureCompacted(changelogs);
        }
        Set<String> main = new TreeSet<>(tables);
        main.removeAll(lateApplications.keySet());
        if (cfg.tablesApplication && !main.isEmpty()) { // Streams refuses a topology without topics
            tablesApp = streams(tablesId, factory.tablesTopology(main, tablesId));
            mainTables = List.copyOf(main);
        }
        if (cfg.tablesApplication) {
            recordLateApplications();
        }
        Map<String, ViewMeta> recorded = records.views();
        for (String v : spec.materializedViewTables()) {
            viewMeta.put(v, prepare(v, recorded.get(v)));
        }
        if (tablesApp != null) {
            tablesApp.start();
        }
        late.forEach(KafkaStreams::start);
        viewMeta.values().forEach(m -> startView(m));
        LOG.info("View engine started: namespace {} tables {} views {}", topics.namespace(), tables, views.keySet());
        return this;
    }

    /**
     * The changelog of a table's store in the tables application, which views read their sources
     * from when this engine runs that application: the table's values with every change applied,
     * partitioned like the table's topic (Kafka Streams names it {@code <application>-<store>-changelog}).
     */
    private String changelogOf(String table) {
        return tablesApplicationOfTable(table) + "-" + TopologyFactory.tableStore(table) + "-changelog";
    }

    /** @return the application that materializes a table: its own if the table came after start */
    private String tablesApplicationOfTable(String table) {
        return lateApplications.getOrDefault(table, topics.namespace() + "-tables");
    }

    /** @return the topics a view's application reads its sources from */
    private List<String> sourceTopics(ViewMeta m) {
        return sourceTopics(m.view());
    }

    private List<String> sourceTopics(String view) {
        return spec.joinsOf(view).stream().flatMap(j -> j.sources().stream()).map(s -> s.table()).distinct()
                .map(t -> cfg.tablesApplication ? changelogOf(t) : topics.tableTopic(t)).toList();
    }

    /** Decides a view's application: the recorded one if its definition is unchanged, else a new one on a cleared table. */
    private ViewMeta prepare(String view, ViewMeta recorded) {
        // The topics read are part of the definition: a source table materialized by another
        // application after a restart has another changelog, and the view is rebuilt from it.
        String def = definitionHash(spec.joinsOf(view), sourceTopics(view));
        if (recorded != null && recorded.definition().equals(def) && recorded.ready()) {
            return recorded;
        }
        int gen = recorded == null ? 0 : recorded.generation() + 1;
        if (recorded != null) {
            LOG.info("View {}: definition changed or rebuild pending; rebuilding as generation {}", view, gen);
        }
        ViewMeta next = new ViewMeta(view, def, gen, ViewMetaStore.applicationId(topics, view, def, gen), true);
        if (recorded != null && !recorded.definition().equals(def)) {
            // Another definition: instances still running the old one must stop before the table is
            // cleared, or they write its rows into the rebuilt table. The new generation, recorded as
            // not ready, tells them so (they look every 10 s); then their group empties.
            meta.write(new ViewMeta(view, def, gen, next.application(), false));
            awaitGroupEmpty(view, recorded.application());
        }
        int cleared = meta.clearTable(view);
        if (cleared > 0) {
            LOG.info("View {}: erased {} keys of an earlier definition before rebuilding", view, cleared);
        }
        if (recorded != null) {
            admin.deleteInternalTopics(recorded.application());
        }
        meta.write(next);
        return next;
    }

    private static final Duration OLD_GENERATION_TIMEOUT = Duration.ofSeconds(30);

    /** Waits until no instance runs an application any more (at most {@link #OLD_GENERATION_TIMEOUT}). */
    private void awaitGroupEmpty(String view, String application) {
        long deadline = System.nanoTime() + OLD_GENERATION_TIMEOUT.toNanos();
        boolean logged = false;
        while (admin.hasMembers(application)) {
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
    private void stopView(String view) {
        KafkaStreams old = views.remove(view);
        ViewMeta m = viewMeta.get(view);
        if (old == null) {
            return;
        }
        closeStreams(old);
        old.cleanUp();
        if (m != null) {
            // cleanUp keeps the application's directory when files other than task state are left in it
            try {
                org.apache.kafka.common.utils.Utils.delete(cfg.stateDir.resolve(m.application()).toFile());
            } catch (java.io.IOException e) {
                LOG.warn("Could not delete the state of {}: {}", m.application(), e.toString());
            }
        }
    }

    private void startView(ViewMeta m) {
        List<Join> joins = spec.joinsOf(m.view());
        int parts = joins.stream().flatMap(j -> j.sources().stream()).mapToInt(s -> partitions.getOrDefault(s.table(), cfg.partitions))
                .max().orElse(cfg.partitions);
        TopologyFactory f = new TopologyFactory(topics, rule, registry, deadLetters, parts, null, partitions)
                .committingOnRequest(cfg.exactlyOnce ? progress.commitRequests() : null).trackingPositions(positions)
                .readingChangelogs(cfg.tablesApplication ? this::changelogOf : null);
        KafkaStreams ks = streams(m.application(), f.viewTopology(m.view(), joins, m.application()));
        views.put(m.view(), ks);
        superseded.remove(m.view()); // maintained here again (the new joins were installed here too)
        ks.start();
    }

    /**
     * Materializes table topics created since start (by writers of new tables, or other
     * instances): restarts the tables application with the larger set, in the background. A
     * no-op when nothing is new. Queries of the new table answer 503 until it is running.
     */
    public void refreshTables() {
        if (!started || refreshing.getAndSet(true)) {
            return;
        }
        Thread t = new Thread(() -> {
            try {
                refreshNow();
            } catch (RuntimeException e) {
                LOG.warn("Could not refresh the set of tables: {}", e.toString());
            } finally {
                refreshing.set(false);
            }
        }, "pequod-refresh-tables");
        t.setDaemon(true);
        t.start();
    }

    private synchronized void refreshNow() {
        installRecorded();
        Set<String> found = new TreeSet<>(admin.existingTables());
        found.removeAll(tables);
        if (found.isEmpty() || !cfg.tablesApplication) {
            return;
        }
        partitions.putAll(admin.partitions(found));
        for (String t : found) {
            registry.register(topics.tableTopic(t) + "-value", Change.SCHEMA$);
        }
        // Each a table of its own, unless another instance recorded where it goes: the running
        // applications (and their stores) are not disturbed.
        lateApplications(found, t -> topics.namespace() + "-table-" + t).forEach(KafkaStreams::start);
        tables.addAll(found);
        recordLateApplications();
        LOG.info("Now materializing new tables {}", found);
    }

    /**
     * Creates (does not start) the tables applications of tables that came after start: the
     * application recorded for a table (by this or another instance), else {@code id}'s.
     */
    private List<KafkaStreams> lateApplications(Collection<String> ts, java.util.function.Function<String, String> id) {
        Map<String, List<String>> byApplication = new LinkedHashMap<>();
        for (String t : ts) {
            String recorded = recordedLayout.entrySet().stream().filter(e -> e.getValue().contains(t)).map(Map.Entry::getKey)
                    .findFirst().orElse(null);
            // (an application already running here cannot take more tables: its topology is fixed)
            boolean usable = recorded != null && !lateApplications.containsValue(recorded)
                    && !recorded.equals(topics.namespace() + "-tables");
            byApplication.computeIfAbsent(usable ? recorded : id.apply(t), a -> new ArrayList<>()).add(t);
        }
        List<KafkaStreams> out = new ArrayList<>();
        byApplication.forEach((a, group) -> out.add(lateApplication(a, group)));
        return out;
    }

    /** Creates (does not start) a tables application for tables besides the main one's. */
    private KafkaStreams lateApplication(String id, Collection<String> ts) {
        KafkaStreams ks = streams(id, factory.tablesTopology(ts, id));
        for (String t : ts) {
            lateTables.put(t, ks);
            lateApplications.put(t, id);
        }
        return ks;
    }

    /**
     * Records which application materializes each table, so that restarts and other instances keep
     * the layout: the late ones, and the main application's (the first instance's record stays).
     */
    private void recordLateApplications() {
        Map<String, Set<String>> byApplication = new java.util.TreeMap<>();
        recordedLayout.forEach((a, ts) -> byApplication.computeIfAbsent(a, x -> new TreeSet<>()).addAll(ts));
        lateApplications.forEach((t, a) -> {
            byApplication.values().forEach(ts -> ts.remove(t));
            byApplication.computeIfAbsent(a, x -> new TreeSet<>()).add(t);
        });
        if (!mainTables.isEmpty() && !recordedLayout.containsKey(topics.namespace() + "-tables")) {
            byApplication.put(topics.namespace() + "-tables", new TreeSet<>(mainTables));
        }
        Map<String, List<String>> layout = new java.util.TreeMap<>();
        byApplication.forEach((a, ts) -> {
            if (!ts.isEmpty()) {
                layout.put(a, List.copyOf(ts));
            }
        });
        if (!layout.equals(recordedLayout)) {
            meta.writeTableApplications(layout);
            recordedLayout = layout;
        }
    }

    /**
     * What {@link #install} did.
     *
     * @param added  the joins added, as written (empty if every join was installed already)
     * @param views  the view tables whose applications started (new views, or views whose joins
     *               changed and are rebuilt), with their application ids
     * @param tables the tables the joins brought (topics created if missing, materialized here)
     */
    public record Installed(List<String> added, Map<String, String> views, Set<String> tables) {
    }

    /**
     * Installs joins into the running engine, as if they had been given at start: creates and
     * materializes the tables they name, starts the applications of new views (a view that gains
     * a join is rebuilt under a new generation), and records the spec text in {@code <ns>-meta},
     * so that restarts install it again and other instances pick it up (within their table
     * refresh period). Joins already in force are skipped, so installing a spec twice is harmless.
     *
     * @param name the spec's name, for positions in error messages (e.g. the file name)
     * @param text the spec text, in Pequod's join language
     * @return what was installed
     * @throws JoinSpecException if the text is invalid, or does not fit the joins in force (for
     *                           example a join writing a table that users write)
     */
    public synchronized Installed install(String name, String text) {
        if (!started) {
            throw new IllegalStateException("View engine of namespace " + topics.namespace() + " is not started");
        }
        Installed r = apply(JoinSpecParser.parse(name, text), false);
        if (!r.added().isEmpty()) {
            installed.add(new ViewMetaStore.InstalledSpec(name, text));
            meta.writeInstalled(installed);
            LOG.info("Installed joins from {}: {} joins, started views {}, new tables {}", name, r.added().size(), r.views(), r.tables());
        }
        return r;
    }

    /** Installs the specs that other instances recorded since this one last looked. */
    private void installRecorded() {
        long end = admin.endOffsets(List.of(EngineAdmin.metaTopic(topics))).values().stream().mapToLong(Long::longValue).sum();
        if (end == metaEnd) {
            return;
        }
        metaEnd = end;
        ViewMetaStore.Records records = meta.read();
        recordedLayout = records.tableApplications();
        for (ViewMetaStore.InstalledSpec s : records.installed()) {
            if (!installed.contains(s)) {
                try {
                    Installed r = apply(JoinSpecParser.parse(s.name(), s.text()), true);
                    LOG.info("Installed joins that another instance recorded ({}): started views {}", s.name(), r.views());
                } catch (RuntimeException e) {
                    LOG.error("Joins installed by another instance from {} do not fit this instance's: {}", s.name(), e.getMessage());
                }
                installed.add(s);
            }
        }
        // Views that another instance rebuilt: run the new generation here too (its table was
        // cleared by that instance). A generation of another definition is left alone: this
        // instance's joins differ until it restarts with the new ones.
        for (ViewMeta recorded : records.views().values()) {
            ViewMeta mine = viewMeta.get(recorded.view());
            if (mine != null && recorded.ready() && recorded.generation() > mine.generation()
                    && recorded.definition().equals(mine.definition())) {
                stopView(recorded.view());
                viewMeta.put(recorded.view(), recorded);
                startView(recorded);
                LOG.info("View {}: another instance rebuilt it; now running generation {}", recorded.view(), recorded.generation());
            } else if (mine != null && recorded.generation() > mine.generation() && !recorded.definition().equals(mine.definition())
                    && views.containsKey(recorded.view())) {
                // Redefined elsewhere (an instance started with other joins): this instance's joins
                // for the view are out of date, and its generation would write rows of the old
                // definition into the rebuilt table. It stops; the other instances maintain the view.
                stopView(recorded.view());
                viewMeta.remove(recorded.view()); // nothing here to settle or rebuild any more
                String why = "view " + recorded.view() + " was redefined by another instance (generation " + recorded.generation()
                        + ", application " + recorded.application() + "); this instance stopped its generation " + mine.generation()
                        + " of the old definition. Restart it with the new joins (joins installed with install-joins are"
                        + " picked up by themselves within 10 s)";
                superseded.put(recorded.view(), why);
                LOG.error(why);
            }
        }
    }

    /**
     * @param recorded whether another instance installed it already (and checked that its views
     *                 write no table of users: this instance may have found their topics first)
     */
    private Installed apply(JoinSpec added, boolean recorded) {
        JoinSpec before = spec;
        JoinSpec next = before.plus(added);
        if (next == before) {
            return new Installed(List.of(), Map.of(), Set.of());
        }
        checkInstallable(next);
        List<Join> fresh = next.joinsNotIn(before);
        for (Join j : fresh) {
            if (!recorded && tables.contains(j.sinkTable()) && !before.viewTables().contains(j.sinkTable())) {
                throw new JoinSpecException(j.position(), "table " + j.sinkTable() + " already exists as a table that users "
                        + "write; a view table is written only by its joins, so give this join's output another table");
            }
        }
        for (io.pequod.views.spec.TableDeclaration d : added.tables()) {
            Integer n = partitions.get(d.name());
            if (n != null && n != d.partitions()) {
                throw new JoinSpecException(d.position(), "table " + d.name() + " exists with " + n
                        + " partitions; it cannot be declared with " + d.partitions());
            }
        }
        Set<String> newTables = new TreeSet<>(next.allTables());
        newTables.removeAll(tables);
        Set<String> existing = admin.existingTables();
        Map<String, Integer> create = new LinkedHashMap<>();
        for (String t : newTables) {
            if (!existing.contains(t)) {
                create.put(t, next.declaredPartitions(t).orElse(cfg.partitions));
            }
        }
        admin.ensureTopics(create);
        partitions.putAll(admin.partitions(newTables));
        for (String t : newTables) {
            registry.register(topics.tableTopic(t) + "-value", Change.SCHEMA$);
        }
        List<String> changedViews = new ArrayList<>();
        for (String v : next.materializedViewTables()) {
            if (!texts(before.joinsOf(v)).equals(texts(next.joinsOf(v)))) {
                changedViews.add(v);
            }
        }
        List<KafkaStreams> toStart = new ArrayList<>();
        if (cfg.tablesApplication && !newTables.isEmpty()) {
            // One more tables application for these tables: the running applications are not
            // disturbed. Its id depends only on the tables, so every instance runs the same one.
            String id = topics.namespace() + "-tables-" + definitionHash(List.of(), List.copyOf(newTables));
            toStart.addAll(lateApplications(newTables, t -> id));
            recordLateApplications();
        }
        if (cfg.tablesApplication) {
            Map<String, Integer> changelogs = new LinkedHashMap<>();
            for (String v : changedViews) {
                next.joinsOf(v).forEach(j -> j.sources().forEach(src -> changelogs.put(changelogOf(src.table()), partitions.get(src.table()))));
            }
            admin.ensureCompacted(changelogs); // before the views that read them start
        }
        spec = next;
        tables.addAll(newTables);
        toStart.forEach(KafkaStreams::start);
        Map<String, ViewMeta> records = meta.readAll();
        Map<String, String> startedViews = new LinkedHashMap<>();
        for (String v : changedViews) {
            stopView(v);
            ViewMeta m = prepare(v, viewMeta.containsKey(v) ? viewMeta.get(v) : records.get(v));
            viewMeta.put(v, m);
            startView(m);
            startedViews.put(v, m.application());
        }
        catalog = null;
        return new Installed(fresh.stream().map(Join::text).toList(), startedViews, newTables);
    }

    private static List<String> texts(List<Join> joins) {
        return joins.stream().map(Join::text).toList();
    }

    /**
     * Joins installed at run time cannot change the partitioning rule, which writers and stores
     * already follow: a table whose keys start with a fixed-width field must be given at start.
     */
    private void checkInstallable(JoinSpec next) {
        Map<String, Integer> fixed = cfg.spec.fixedFirstFieldWidths();
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

    /**
     * Rebuilds one view from the compacted topics: stops its application, erases the view's keys,
     * and starts a new generation that re-reads its sources from the beginning.
     *
     * @param view a maintained view table
     * @return the new generation's application id
     * @throws IllegalArgumentException if {@code view} is not a maintained view of the spec
     */
    public synchronized String rebuild(String view) {
        ViewMeta current = viewMeta.get(view);
        if (current == null && superseded.containsKey(view)) {
            throw new IllegalArgumentException(superseded.get(view));
        }
        if (current == null) {
            throw new IllegalArgumentException("Unknown view '" + view + "'; maintained views: " + viewMeta.keySet());
        }
        stopView(view);
        ViewMeta next = prepare(view, new ViewMeta(view, current.definition(), current.generation(), current.application(), false));
        viewMeta.put(view, next);
        startView(next);
        return next.application();
    }

    /**
     * Waits until everything written to the tables before this call is reflected in this
     * instance's stores, views included: each view application has committed offsets at or past
     * the end of its sources as they were (Streams flushes a view's output before committing), and
     * then the tables application has applied every table topic up to its end. Repeated for
     * views of views. A barrier for workloads that must read exact results.
     *
     * @param timeout how long to wait
     * @return whether everything settled in time
     * @throws InterruptedException if interrupted
     */
    public boolean awaitSettled(Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        // An application still starting (or rebalancing) has no tasks here yet, and would pass the
        // checks below without having processed anything: a view installed a moment ago, say.
        while (!state().values().stream().allMatch(s -> s == KafkaStreams.State.RUNNING)) {
            if (System.nanoTime() > deadline) {
                return false;
            }
            Thread.sleep(5);
        }
        List<String> all = tables.stream().map(topics::tableTopic).toList();
        if (!cfg.exactlyOnce) {
            return awaitProcessed(deadline) && awaitApplied(all, deadline);
        }
        progress.requestCommit();
        for (int round = 0; round < viewMeta.size() + 3; round++) { // views of views, and chained internal topics
            // The tables application first: its committed work is what the views read (its changelogs).
            if (cfg.tablesApplication) {
                Map<String, List<String>> byApplication = new LinkedHashMap<>();
                for (String t : all) {
                    byApplication.computeIfAbsent(tablesApplicationOf(t), a -> new ArrayList<>()).add(t);
                }
                for (Map.Entry<String, List<String>> e : byApplication.entrySet()) {
                    if (!awaitCommitted(e.getKey(), e.getValue(), deadline)) {
                        return false;
                    }
                }
            }
            for (ViewMeta m : List.copyOf(viewMeta.values())) {
                List<String> sources = sourceTopics(m);
                // First the sources, then the application's own repartition topics, which the sources
                // fed while they were read: committed offsets count only what the tasks processed.
                if (!awaitCommitted(m.application(), sources, deadline)) {
                    return false;
                }
                List<String> internal = admin.committed(m.application()).keySet().stream().map(org.apache.kafka.common.TopicPartition::topic)
                        .filter(t -> t.startsWith(m.application() + "-") && t.endsWith("-repartition")).distinct().toList();
                progress.requestCommit(); // what the sources fed into the repartition topics
                if (!internal.isEmpty() && !awaitCommitted(m.application(), internal, deadline)) {
                    return false;
                }
            }
        }
        return awaitApplied(all, deadline);
    }

    /**
     * At least once: waits until each view application on this instance has processed its
     * sources up to their current ends and every record that caused is acknowledged by the
     * broker, then the same for its repartition topics; repeated for views of views. Positions
     * come from the processors and acknowledgements from the producers, so no commit is needed.
     * (Under exactly-once the ends include transaction markers no processor sees, so committed
     * offsets are used instead.)
     */
    private boolean awaitProcessed(long deadline) throws InterruptedException {
        List<String> all = tables.stream().map(topics::tableTopic).toList();
        for (int round = 0; round < viewMeta.size() + 1; round++) {
            // The tables application first: the views read what it applied (its changelogs), once
            // the broker has acknowledged it.
            if (cfg.tablesApplication) {
                if (!awaitApplied(all, deadline)) {
                    return false;
                }
                Set<String> applications = new LinkedHashSet<>(lateApplications.values());
                applications.add(topics.namespace() + "-tables");
                for (String a : applications) {
                    if (!awaitAcks(a, deadline)) {
                        return false;
                    }
                }
            }
            for (ViewMeta m : List.copyOf(viewMeta.values())) {
                KafkaStreams ks;
                synchronized (this) {
                    ks = views.get(m.view());
                }
                if (ks == null) {
                    continue;
                }
                if (!awaitProcessed(m.application(), ks, sourceTopics(m), deadline)) {
                    return false;
                }
                List<String> internal = admin.listTopics().stream()
                        .filter(t -> t.startsWith(m.application() + "-") && t.endsWith("-repartition")).toList();
                if (!internal.isEmpty() && !awaitProcessed(m.application(), ks, internal, deadline)) {
                    return false;
                }
            }
        }
        return true;
    }

    private boolean awaitProcessed(String application, KafkaStreams ks, List<String> topicsToCheck, long deadline)
            throws InterruptedException {
        java.util.Set<org.apache.kafka.common.TopicPartition> local = new java.util.HashSet<>();
        for (org.apache.kafka.streams.ThreadMetadata t : ks.metadataForLocalThreads()) {
            t.activeTasks().forEach(task -> local.addAll(task.topicPartitions()));
        }
        Map<org.apache.kafka.common.TopicPartition, Long> ends = admin.endOffsets(topicsToCheck);
        for (Map.Entry<org.apache.kafka.common.TopicPartition, Long> e : ends.entrySet()) {
            if (e.getValue() == 0 || !local.contains(e.getKey())) {
                continue; // empty, or another instance's
            }
            org.apache.kafka.common.TopicPartition tp = e.getKey();
            if (!reached(application, tp, e.getValue(), () -> positions.processed(application, tp.topic(), tp.partition()), deadline)) {
                return false;
            }
        }
        return awaitAcks(application, deadline);
    }

    /**
     * Waits until an application has processed a partition up to {@code end}: its processors saw
     * offset {@code end - 1}, or (checked every half second) its committed offset reached
     * {@code end}. The second covers a last offset no processor sees: a tombstone that compaction
     * removed from a rolled segment of a compacted topic.
     */
    private boolean reached(String application, org.apache.kafka.common.TopicPartition tp, long end,
                            java.util.function.LongSupplier processed, long deadline) throws InterruptedException {
        long nextCommitCheck = System.nanoTime() + 500_000_000L;
        while (processed.getAsLong() < end - 1) {
            long now = System.nanoTime();
            if (now > deadline) {
                return false;
            }
            if (now > nextCommitCheck) {
                nextCommitCheck = now + 500_000_000L;
                Long committed = admin.committed(application).get(tp);
                if (committed != null && committed >= end) {
                    return true;
                }
            }
            Thread.sleep(1);
        }
        return true;
    }

    /** Waits until the broker acknowledged every record an application's producers sent so far. */
    private boolean awaitAcks(String application, long deadline) throws InterruptedException {
        io.pequod.views.internals.processor.AckCounter.Counts acks = io.pequod.views.internals.processor.AckCounter.counts(ackPrefix + application);
        while (!acks.quiet()) {
            if (System.nanoTime() > deadline) {
                return false;
            }
            Thread.sleep(1);
        }
        return true;
    }

    private boolean awaitApplied(List<String> all, long deadline) throws InterruptedException {
        Map<org.apache.kafka.common.TopicPartition, Long> ends = admin.endOffsets(all);
        for (Map.Entry<org.apache.kafka.common.TopicPartition, Long> e : ends.entrySet()) {
            org.apache.kafka.common.TopicPartition tp = e.getKey();
            if (e.getValue() > 0 && !reached(tablesApplicationOf(tp.topic()), tp, e.getValue(),
                    () -> progress.appliedOffset(tp.topic(), tp.partition()), deadline)) {
                return false;
            }
        }
        return true;
    }

    /** @return the application that materializes a table topic: its own if the table came late */
    private String tablesApplicationOf(String topic) {
        return tablesApplicationOfTable(topics.tableOf(topic).orElse(""));
    }

    private boolean awaitCommitted(String application, List<String> topicsToCheck, long deadline) throws InterruptedException {
        Map<org.apache.kafka.common.TopicPartition, Long> ends = admin.endOffsets(topicsToCheck);
        while (true) {
            Map<org.apache.kafka.common.TopicPartition, Long> done = admin.committed(application);
            if (ends.entrySet().stream().allMatch(e -> e.getValue() == 0 || done.getOrDefault(e.getKey(), 0L) >= e.getValue())) {
                return true;
            }
            if (System.nanoTime() > deadline) {
                return false;
            }
            Thread.sleep(5);
        }
    }

    /**
     * Waits until every application is RUNNING.
     *
     * @param timeout how long to wait
     * @return whether all were running in time
     * @throws InterruptedException if interrupted
     */
    public boolean awaitRunning(Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            if (state().values().stream().allMatch(s -> s == KafkaStreams.State.RUNNING)) {
                return true;
            }
            Thread.sleep(50);
        }
        return false;
    }

    /** @return each application's Streams state, by application id */
    public synchronized Map<String, KafkaStreams.State> state() {
        Map<String, KafkaStreams.State> out = new LinkedHashMap<>();
        if (tablesApp != null) {
            out.put(topics.namespace() + "-tables", tablesApp.state());
        }
        lateTables.forEach((t, ks) -> out.put(lateApplications.get(t), ks.state()));
        views.forEach((v, ks) -> out.put(viewMeta.get(v).application(), ks.state()));
        return out;
    }

    /** @return the catalog of tables, stores and partitioners for the query side */
    public ViewCatalog catalog() {
        ViewCatalog c = catalog;
        JoinSpec current = spec;
        if (c == null || c.tables().size() != tables.size() || c.spec() != current) {
            Set<String> snapshot = Set.copyOf(tables);
            c = new ViewCatalog(topics, rule, current, t -> {
                KafkaStreams late = lateTables.get(t);
                return late != null ? late : tablesApp;
            }, () -> snapshot, Map.copyOf(partitions), liveStores::get);
            catalog = c;
        }
        return c;
    }

    /**
     * @return problems an operator must act on, by view (empty when there are none): views this
     * instance stopped maintaining because another instance redefined them
     */
    public Map<String, String> problems() {
        return new java.util.TreeMap<>(superseded);
    }

    /** @return the joins in force: those given at start and those installed since */
    public JoinSpec spec() {
        return spec;
    }

    /** @return how far this instance's table stores have applied their topics */
    public StoreProgress progress() {
        return progress;
    }

    /** @return records sent to the dead-letter topic since start */
    public long deadLetterCount() {
        return deadLetters.get();
    }

    /** @return the partitioning rule: writers must use it too */
    public PartitionRule partitionRule() {
        return rule;
    }

    /**
     * Stops every application (leaving their groups, so that a restart does not wait). The
     * applications shut down side by side: each close starts a shutdown, then all are awaited.
     */
    @Override
    public synchronized void close() {
        List<KafkaStreams> all = new ArrayList<>(views.values());
        new java.util.LinkedHashSet<>(lateTables.values()).forEach(all::add);
        if (tablesApp != null) {
            all.add(tablesApp);
        }
        views.clear();
        for (KafkaStreams ks : all) {
            ks.close(leaving(Duration.ZERO)); // starts the shutdown, returns at once
        }
        for (KafkaStreams ks : all) {
            closeStreams(ks); // waits for it
        }
        if (admin != null) {
            admin.close();
        }
    }

    private static CloseOptions leaving(Duration timeout) {
        return CloseOptions.groupMembershipOperation(CloseOptions.GroupMembershipOperation.LEAVE_GROUP).withTimeout(timeout);
    }

    private static void closeStreams(KafkaStreams ks) {
        ks.close(leaving(Duration.ofSeconds(30)));
    }

    private Map<String, Object> clientConfig() {
        Map<String, Object> m = new HashMap<>();
        m.put("bootstrap.servers", cfg.bootstrapServers);
        return m;
    }

    private KafkaStreams streams(String applicationId, Topology topology) {
        Properties p = new Properties();
        p.put(StreamsConfig.APPLICATION_ID_CONFIG, applicationId);
        p.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, cfg.bootstrapServers);
        p.put(StreamsConfig.STATE_DIR_CONFIG, cfg.stateDir.toString());
        p.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, cfg.exactlyOnce ? StreamsConfig.EXACTLY_ONCE_V2 : StreamsConfig.AT_LEAST_ONCE);
        p.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, cfg.exactlyOnce ? 100 : Integer.getInteger("pequod.commit.ms", 1000));
        p.put(StreamsConfig.STATESTORE_CACHE_MAX_BYTES_CONFIG, 0);
        p.put(StreamsConfig.ROCKSDB_CONFIG_SETTER_CLASS_CONFIG, io.pequod.views.internals.engine.StoreOptions.class);
        p.put(StreamsConfig.NUM_STREAM_THREADS_CONFIG, cfg.threads);
        p.put(StreamsConfig.REPLICATION_FACTOR_CONFIG, -1);
        p.put(StreamsConfig.producerPrefix(ProducerConfig.LINGER_MS_CONFIG), cfg.lingerMs);
        p.put(StreamsConfig.producerPrefix(ProducerConfig.BATCH_SIZE_CONFIG), 128 * 1024);
        p.put(StreamsConfig.producerPrefix(ProducerConfig.COMPRESSION_TYPE_CONFIG), cfg.compression);
        p.put(StreamsConfig.consumerPrefix(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG), "earliest");
        p.put(StreamsConfig.producerPrefix(ProducerConfig.INTERCEPTOR_CLASSES_CONFIG), io.pequod.views.internals.processor.AckCounter.class.getName());
        p.put(StreamsConfig.producerPrefix(io.pequod.views.internals.processor.AckCounter.ID), ackPrefix + applicationId);
        p.put(StreamsConfig.consumerPrefix(ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG), 100);
        // Join results do not depend on the order in which the two sides of a step arrive, so a
        // task need not wait for an empty input partition: lower latency, same final state.
        p.put(StreamsConfig.MAX_TASK_IDLE_MS_CONFIG, -1L);
        if (cfg.applicationServer != null) {
            p.put(StreamsConfig.APPLICATION_SERVER_CONFIG, cfg.applicationServer);
        }
        p.putAll(cfg.streamsConfig);
        KafkaStreams ks = new KafkaStreams(topology, p);
        ks.setUncaughtExceptionHandler(e -> {
            LOG.error("Application {} stopped on an unexpected error; its views stop updating until restarted", applicationId, e);
            return StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse.SHUTDOWN_CLIENT;
        });
        return ks;
    }

    /**
     * How a view application is built from its joins, part of its definition hash: a view built by
     * an earlier layout (format 1 read table topics into {@code src-*} stores) is rebuilt under a
     * new generation rather than resumed by a topology that reads other topics.
     */
    static final String VIEW_FORMAT = "view-format 2: sources from the tables application's changelogs";

    static String definitionHash(List<Join> joins, List<String> sourceTopics) {
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            md.update(VIEW_FORMAT.getBytes(StandardCharsets.UTF_8));
            md.update((byte) '\n');
            for (Join j : joins) {
                md.update(j.text().getBytes(StandardCharsets.UTF_8));
                md.update((byte) '\n');
            }
            for (String t : sourceTopics) {
                md.update(t.getBytes(StandardCharsets.UTF_8));
                md.update((byte) '\n');
            }
            return HexFormat.of().formatHex(md.digest()).substring(0, 8);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Builder of {@link ViewEngine}. */
    public static final class Builder {
        private String bootstrapServers;
        private String schemaRegistryUrl;
        private String namespace = TableTopics.DEFAULT_NAMESPACE;
        private JoinSpec spec = JoinSpec.empty();
        private Path stateDir;
        private int partitions = 8;
        private int threads = 1;
        private int lingerMs = 5;
        private boolean exactlyOnce;
        private boolean tablesApplication = true;
        private String compression = "none";
        private String applicationServer;
        private Set<String> extraTables = Set.of();
        private final Map<String, Object> streamsConfig = new HashMap<>();

        private Builder() {
        }

        /** @param servers Kafka bootstrap servers @return this builder */
        public Builder bootstrapServers(String servers) {
            this.bootstrapServers = Objects.requireNonNull(servers, "servers cannot be null");
            return this;
        }

        /** @param url Confluent-compatible schema registry URL @return this builder */
        public Builder schemaRegistryUrl(String url) {
            this.schemaRegistryUrl = Objects.requireNonNull(url, "url cannot be null");
            return this;
        }

        /** @param ns topic namespace @return this builder */
        public Builder namespace(String ns) {
            TableTopics.of(ns);
            this.namespace = ns;
            return this;
        }

        /** @param s the join spec (cannot be {@code null}) @return this builder */
        public Builder spec(JoinSpec s) {
            this.spec = Objects.requireNonNull(s, "spec cannot be null");
            return this;
        }

        /** @param dir Kafka Streams state directory (RocksDB stores) @return this builder */
        public Builder stateDir(Path dir) {
            this.stateDir = Objects.requireNonNull(dir, "dir cannot be null");
            return this;
        }

        /** @param n partitions of table topics the engine creates (default 8) @return this builder */
        public Builder partitions(int n) {
            if (n < 1) {
                throw new IllegalArgumentException("Invalid value " + n + " for partitions: must be at least 1");
            }
            this.partitions = n;
            return this;
        }

        /** @param n stream threads per application (default 1) @return this builder */
        public Builder threads(int n) {
            if (n < 1) {
                throw new IllegalArgumentException("Invalid value " + n + " for threads: must be at least 1");
            }
            this.threads = n;
            return this;
        }

        /** @param ms Streams producer linger.ms (default 5; Streams' own default is 100) @return this builder */
        public Builder lingerMs(int ms) {
            this.lingerMs = ms;
            return this;
        }

        /** @param eos whether to process exactly once (slower by about commit interval / 2 per hop) @return this builder */
        public Builder exactlyOnce(boolean eos) {
            this.exactlyOnce = eos;
            return this;
        }

        /**
         * @param run whether to run the tables application (queryable {@code table-*} stores;
         *            default true); false makes a view-only worker
         * @return this builder
         */
        public Builder tablesApplication(boolean run) {
            this.tablesApplication = run;
            return this;
        }

        /**
         * @param type compression of the records the applications write (default none: on a local
         *             broker compressing costs more CPU than it saves; lz4 or zstd across a network)
         * @return this builder
         */
        public Builder compression(String type) {
            this.compression = Objects.requireNonNull(type, "type cannot be null");
            return this;
        }

        /** @param hostPort this instance's query endpoint, for Streams metadata @return this builder */
        public Builder applicationServer(String hostPort) {
            this.applicationServer = hostPort;
            return this;
        }

        /** @param t tables to materialize besides the spec's @return this builder */
        public Builder extraTables(Set<String> t) {
            this.extraTables = Set.copyOf(t);
            return this;
        }

        /** @param name a Kafka Streams setting (overrides the engine's) @param value its value @return this builder */
        public Builder streamsConfig(String name, Object value) {
            streamsConfig.put(name, value);
            return this;
        }

        /** @return the engine, not started */
        public ViewEngine build() {
            StringBuilder missing = new StringBuilder();
            if (bootstrapServers == null) {
                missing.append(" bootstrapServers");
            }
            if (schemaRegistryUrl == null) {
                missing.append(" schemaRegistryUrl");
            }
            if (missing.length() > 0) {
                throw new IllegalStateException("ViewEngine needs" + missing);
            }
            if (stateDir == null) {
                try {
                    stateDir = Files.createTempDirectory("pequod-streams-");
                } catch (java.io.IOException e) {
                    throw new PequodException("Could not create a state directory: " + e.getMessage(), e);
                }
            }
            return new ViewEngine(this);
        }
    }
}
