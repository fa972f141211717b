package io.pequod.views.internals.engine;

import io.pequod.views.internals.compile.PartialTopology;
import io.pequod.views.internals.compile.TopologyFactory;
import io.pequod.views.spec.Join;
import io.pequod.views.spec.PartialRange;
import io.pequod.views.spec.JoinSpec;
import io.pequod.views.spec.JoinSpecParser;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.Topology;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * The tables applications: which application materializes each table into its queryable store.
 * The main one ({@code <ns>-tables}) takes the tables known at the namespace's first start; a
 * table found later, or brought by installed joins or by an instance with more joins, goes to an
 * application of its own, because instances of one application must run the same topology
 * (Streams stops the others otherwise) and a running topology cannot grow. The layout is recorded
 * in {@code <ns>-meta}, so restarts and other instances keep it. Views read their sources from
 * these applications' changelogs.
 */
public final class TableLayout {
    private static final Logger LOG = LoggerFactory.getLogger(TableLayout.class);

    private final EngineParts parts;
    private final CopyLags lags;
    private final Supplier<JoinSpec> spec;
    private volatile KafkaStreams main;
    /** The tables of this instance's main tables application (empty if it runs none). */
    private List<String> mainTables = List.of();
    /** Tables materialized by an application other than the main one. */
    private final Map<String, KafkaStreams> late = new ConcurrentHashMap<>();
    /** The application id of each table in {@link #late}. */
    private final Map<String, String> lateIds = new ConcurrentHashMap<>();
    /** The tables of each tables application, as last read from (or written to) {@code <ns>-meta}. */
    private Map<String, List<String>> recorded = Map.of();
    /** The views computed inside each tables application, with their join texts, as recorded. */
    private Map<String, Map<String, List<String>>> recordedViews = Map.of();
    /** The views computed inside the tables applications this instance runs: their application and joins. */
    private final Map<String, String> computedIn = new ConcurrentHashMap<>();
    private final Map<String, List<Join>> computedJoins = new ConcurrentHashMap<>();
    private final List<KafkaStreams> toStart = new ArrayList<>();
    /** The views' generations as last read, for deciding which views a new tables application computes. */
    private Map<String, ViewMetaStore.ViewMeta> generationsSeen = Map.of();
    /** The applications whose computed views were last written to {@code <ns>-meta}. */
    private Set<String> recordedViewsWritten = Set.of();

    /**
     * @param parts the engine's parts; its tables must be known (their partition counts learnt)
     * @param spec  the joins in force, which say which tables are views
     */
    public TableLayout(EngineParts parts, Supplier<JoinSpec> spec) {
        this.parts = parts;
        this.spec = spec;
        this.lags = new CopyLags(parts, this);
    }

    /** @return how far this instance's copies of the table stores may be behind */
    public CopyLags copyLags() {
        return lags;
    }

    /**
     * Lays out the known tables as recorded (creating, not starting, their applications), and
     * creates the changelogs that the spec's views read, which must exist before the views start.
     *
     * @param layout the recorded layout
     * @param spec   the joins in force
     */
    public synchronized void plan(ViewMetaStore.Records records, JoinSpec spec) {
        Map<String, List<String>> layout = records.tableApplications();
        recordedViews = records.computedViews();
        recordedViewsWritten = recordedViews.keySet();
        generationsSeen = records.views();
        recorded = current(layout);
        layout = recorded;
        if (!parts.runsTables()) {
            return;
        }
        String mainId = parts.names().mainTablesApplication();
        // Tables that came after an earlier start stay with the applications that materialized
        // them (their stores and changelogs, which views read, are kept).
        layout.forEach((id, tables) -> {
            List<String> ts = tables.stream().filter(parts.tables()::contains).toList();
            if (!ts.isEmpty() && !id.equals(mainId)) {
                toStart.add(application(id, ts));
            }
        });
        // Tables this instance brings besides the main application's recorded ones get an application of their own.
        List<String> recordedMain = layout.get(mainId);
        if (recordedMain != null) {
            Set<String> extra = new TreeSet<>(parts.tables());
            extra.removeAll(lateIds.keySet());
            extra.removeAll(recordedMain);
            if (!extra.isEmpty()) {
                toStart.add(application(parts.names().tablesApplication(extra), extra));
                LOG.info("Tables {} are not in the main tables application of this namespace; materialized by an application of their own",
                        extra);
            }
        }
        ensureChangelogs(spec.allTables());
        Set<String> rest = new TreeSet<>(parts.tables());
        rest.removeAll(lateIds.keySet());
        if (!rest.isEmpty()) { // Streams refuses a topology without topics
            main = parts.streams().create(mainId, topology(mainId, rest));
            mainTables = List.copyOf(rest);
            toStart.add(0, main);
        }
        record();
    }

    /** Starts the applications created since the last call. */
    public synchronized void start() {
        StreamsSettings.startAll(List.copyOf(toStart));
        toStart.clear();
    }

    /**
     * Creates (does not start; see {@link #start}) the applications of tables that came after
     * start: the one recorded for a table (by this or another instance), else {@code id}'s.
     *
     * @param tables the new tables
     * @param id     the application id for a table without a recorded one
     */
    public synchronized void add(Collection<String> tables, Function<String, String> id) {
        if (!parts.runsTables() || tables.isEmpty()) {
            return;
        }
        generationsSeen = parts.meta().readAll(); // views other instances started since
        Map<String, List<String>> byApplication = new LinkedHashMap<>();
        for (String t : tables) {
            String known = recorded.entrySet().stream().filter(e -> e.getValue().contains(t)).map(Map.Entry::getKey)
                    .findFirst().orElse(null);
            // (an application already running here cannot take more tables: its topology is fixed)
            boolean usable = known != null && !lateIds.containsValue(known) && !known.equals(parts.names().mainTablesApplication());
            byApplication.computeIfAbsent(usable ? known : id.apply(t), a -> new ArrayList<>()).add(t);
        }
        byApplication.forEach((a, group) -> toStart.add(application(a, group)));
        record();
    }

    /** @param records what {@code <ns>-meta} holds, as just read */
    public synchronized void recorded(ViewMetaStore.Records records) {
        recorded = current(records.tableApplications());
        recordedViews = records.computedViews();
        recordedViewsWritten = recordedViews.keySet();
    }

    /**
     * The views a tables application computes itself: as recorded for it (every instance must run
     * the same topology), else, for an application created now, every view of the spec whose own
     * table and source tables it all materializes and that has no generation yet. A view added
     * later, or whose tables live apart, gets an application of its own ({@link ViewGenerations}).
     */
    private Map<String, List<Join>> computed(String id, Collection<String> tables) {
        Map<String, List<String>> texts = recordedViews.get(id);
        if (texts == null && recorded.containsKey(id)) {
            texts = Map.of(); // recorded before views were computed inside tables applications
        }
        if (texts == null) {
            Map<String, List<String>> fresh = new TreeMap<>();
            for (String v : spec.get().materializedViewTables()) {
                List<Join> joins = spec.get().joinsOf(v);
                if (tables.contains(v) && !generationsSeen.containsKey(v) && !computedIn.containsKey(v)
                        && joins.stream().allMatch(j -> j.sources().stream().allMatch(src -> tables.contains(src.table())))) {
                    fresh.put(v, joins.stream().map(Join::text).toList());
                }
            }
            texts = fresh;
            Map<String, Map<String, List<String>>> all = new TreeMap<>(recordedViews);
            all.put(id, fresh);
            recordedViews = all;
        }
        Map<String, List<Join>> out = new TreeMap<>();
        texts.forEach((view, joinTexts) -> {
            List<Join> joins = JoinSpecParser.parse("joins of view " + view + " recorded for " + id,
                    String.join("\n", joinTexts)).joinsOf(view);
            out.put(view, joins);
            computedIn.put(view, id);
            computedJoins.put(view, joins);
        });
        if (!out.isEmpty()) {
            LOG.info("Tables application {} computes the views {} itself", id, out.keySet());
        }
        return out;
    }

    /**
     * @return a tables application's topology, which depends only on its tables (their partition
     * counts: repartition topics and co-partitioned join steps) and its recorded views, so that
     * every instance and every restart builds the same one
     */
    private Topology topology(String id, Collection<String> tables) {
        int n = tables.stream().mapToInt(t -> parts.partitions().getOrDefault(t, parts.defaultPartitions())).max()
                .orElse(parts.defaultPartitions());
        TopologyFactory factory = parts.topologies(n).registeringStoresIn(parts.liveStores()).materializingViews(this::isView);
        Map<String, List<Join>> computed = computed(id, tables);
        computed.forEach((view, joins) -> {
            if (joins.size() == 1 && joins.get(0).partial()) {
                PartialRange r = PartialRange.of(joins.get(0));
                String topic = PartialTopology.activationTopic(parts.topics(), view);
                parts.admin().ensureCompacted(Map.of(topic, parts.partitions().getOrDefault(r.table(), parts.defaultPartitions())));
                parts.onDemand().register(topic, r);
            }
        });
        return factory.tablesTopology(tables, computed, id);
    }

    /** @return the tables application (run here) that computes a view itself, or {@code null} */
    public String computedIn(String view) {
        return computedIn.get(view);
    }

    /** @return whether a view is computed inside a tables application here with the joins now in force */
    public boolean computesCurrent(String view) {
        List<Join> joins = computedJoins.get(view);
        return joins != null && joins.stream().map(Join::text).toList()
                .equals(spec.get().joinsOf(view).stream().map(Join::text).toList());
    }

    /**
     * @return the layout without the applications of an earlier store format, whose stores this
     * version does not read (their tables are laid out again and rebuilt from the table topics)
     */
    private Map<String, List<String>> current(Map<String, List<String>> layout) {
        Map<String, List<String>> out = new TreeMap<>();
        layout.forEach((id, tables) -> {
            if (parts.names().isTablesApplication(id)) {
                out.put(id, tables);
            }
        });
        return out;
    }

    /** @param tables tables whose changelogs views are about to read: created (compacted) if missing */
    public void ensureChangelogs(Collection<String> tables) {
        if (!parts.runsTables()) {
            return;
        }
        Map<String, Integer> changelogs = new LinkedHashMap<>();
        for (String t : tables) {
            if (!isView(t)) { // a view's store is restored from the view's topic
                changelogs.put(changelogOf(t), parts.partitions().get(t));
            }
        }
        parts.admin().ensureCompacted(changelogs);
    }

    /** @return the application that materializes a table: its own if the table came after start */
    public String applicationOf(String table) {
        return lateIds.getOrDefault(table, parts.names().mainTablesApplication());
    }

    /**
     * @return the topic views read a table from: the changelog of its store, where every change is
     * applied; for a view, its own topic (puts and erases only; its store keeps no changelog)
     */
    public String changelogOf(String table) {
        return isView(table) ? parts.topics().tableTopic(table) : EngineNames.changelog(applicationOf(table), table);
    }

    /** @param table a table @return whether joins write it (a view materialized eagerly) */
    public boolean isView(String table) {
        return spec.get().materializedViewTables().contains(table);
    }

    /** @return the application whose store holds a table (null if none runs here) */
    public KafkaStreams streamsOf(String table) {
        KafkaStreams l = late.get(table);
        return l != null ? l : main;
    }

    /** @return the ids of the tables applications this instance runs */
    public Set<String> applications() {
        Set<String> out = new TreeSet<>(lateIds.values());
        if (main != null) {
            out.add(parts.names().mainTablesApplication());
        }
        return out;
    }

    /** @return every tables application with its id (each once), the main one first */
    public Map<String, KafkaStreams> all() {
        Map<String, KafkaStreams> out = new LinkedHashMap<>();
        KafkaStreams m = main;
        if (m != null) {
            out.put(parts.names().mainTablesApplication(), m);
        }
        late.forEach((t, ks) -> out.put(lateIds.get(t), ks));
        return out;
    }

    private KafkaStreams application(String id, Collection<String> tables) {
        KafkaStreams ks = parts.streams().create(id, topology(id, tables));
        for (String t : tables) {
            late.put(t, ks);
            lateIds.put(t, id);
        }
        return ks;
    }

    /**
     * Records which application materializes each table, so that restarts and other instances keep
     * the layout: the late ones, and the main application's (the first instance's record stays).
     */
    private void record() {
        Map<String, Set<String>> byApplication = new TreeMap<>();
        recorded.forEach((a, ts) -> byApplication.computeIfAbsent(a, x -> new TreeSet<>()).addAll(ts));
        lateIds.forEach((t, a) -> {
            byApplication.values().forEach(ts -> ts.remove(t));
            byApplication.computeIfAbsent(a, x -> new TreeSet<>()).add(t);
        });
        String mainId = parts.names().mainTablesApplication();
        if (!mainTables.isEmpty() && !recorded.containsKey(mainId)) {
            byApplication.put(mainId, new TreeSet<>(mainTables));
        }
        Map<String, List<String>> layout = new TreeMap<>();
        byApplication.forEach((a, ts) -> {
            if (!ts.isEmpty()) {
                layout.put(a, List.copyOf(ts));
            }
        });
        Map<String, Map<String, List<String>>> views = new TreeMap<>();
        recordedViews.forEach((a, v) -> {
            if (layout.containsKey(a)) {
                views.put(a, v);
            }
        });
        if (!layout.equals(recorded) || !views.keySet().equals(recordedViewsWritten)) {
            parts.meta().writeTableApplications(layout, views);
            recorded = layout;
            recordedViewsWritten = views.keySet();
        }
    }
}
