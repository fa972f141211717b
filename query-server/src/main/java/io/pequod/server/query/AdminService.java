package io.pequod.server.query;

import io.pequod.schemas.PequodException;
import io.pequod.views.ViewEngine;
import io.pequod.views.progress.SourceStatus;
import io.pequod.views.spec.JoinSpec;
import io.pequod.views.spec.JoinSpecException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import io.pequod.views.ViewCatalog;
import io.pequod.views.progress.ApplicationProgress;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.KeyQueryMetadata;
import org.apache.kafka.streams.state.HostInfo;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.Map;
import java.util.Set;

/**
 * The operator's side of an instance, for every front end: the joins in force and their
 * installation, view rebuilds, the settle barrier, and health. Failures come out as
 * {@link QueryException}s, as the query side's do.
 */
public final class AdminService {
    private final ViewEngine engine;
    private final QueryService service;
    private final PeerClient peers;
    private final DeadLetterReader deadLetters;

    /**
     * Who holds one partition of a table's store.
     *
     * @param partition the partition
     * @param active    the instance whose task owns it (host:port), or {@code null} if none now
     * @param standbys  the instances holding standby copies
     */
    public record Holders(int partition, String active, List<String> standbys) {
    }

    /** @return per partial view computed here: materialized ranges, activations, evictions, back-fills and their time */
    public Map<String, io.pequod.views.PartialViews.Stats> partialViews() {
        return engine.partialViews().stats();
    }

    /**
     * What an instance's health is.
     *
     * @param up           every Streams application is RUNNING
     * @param applications each application's state, by id
     * @param storeLags    records not yet applied, by store
     * @param deadLetters  records sent to the dead-letter topic since start
     * @param problems     what an operator must act on, by view
     * @param sources      the declared sources: state, lag and dead letters of each
     */
    public record Health(boolean up, Map<String, KafkaStreams.State> applications, Map<String, Long> storeLags,
                         long deadLetters, Map<String, String> problems, List<SourceStatus> sources) {
    }

    /**
     * @param engine  the running engine
     * @param service the query service (for the namespace-wide settle)
     */
    public AdminService(ViewEngine engine, QueryService service) {
        this(engine, service, null, null);
    }

    /**
     * @param engine      the running engine
     * @param service     the query service (for the namespace-wide settle)
     * @param peers       the client that calls other instances (for their health), or {@code null}
     * @param deadLetters the dead-letter topic's reader, or {@code null}
     */
    public AdminService(ViewEngine engine, QueryService service, PeerClient peers, DeadLetterReader deadLetters) {
        this.engine = engine;
        this.service = service;
        this.peers = peers;
        this.deadLetters = deadLetters;
    }

    /** @return per table (tables, sources and views), who holds each partition's store, from Streams' metadata */
    public Map<String, List<Holders>> holders() {
        ViewCatalog c = engine.catalog();
        Map<String, List<Holders>> out = new TreeMap<>();
        for (String t : c.tables()) {
            List<Holders> hs = new ArrayList<>();
            for (int p = 0; p < c.partitions(t); p++) {
                try {
                    KeyQueryMetadata m = c.metadataForPartition(t, p);
                    String active = m.activeHost() == null || m.activeHost().port() < 0 ? null : address(m.activeHost());
                    hs.add(new Holders(p, active, m.standbyHosts().stream().map(AdminService::address).sorted().toList()));
                } catch (RuntimeException notNow) {
                    hs.add(new Holders(p, null, List.of()));
                }
            }
            out.put(t, hs);
        }
        return out;
    }

    private static String address(HostInfo h) {
        return h.host() + ":" + h.port();
    }

    /**
     * Asks every other instance's {@code /health} at once, for at most 3 s in all.
     *
     * @return each other instance's health (UP or DOWN), or {@code {"error": ...}} if it did not answer in time
     */
    public Map<String, JsonNode> othersHealth() {
        Map<String, CompletableFuture<JsonNode>> asked = new LinkedHashMap<>();
        for (HostInfo h : service.instances()) {
            if (!h.equals(service.self()) && peers != null) {
                asked.put(address(h), CompletableFuture.supplyAsync(() -> peers.askHealth(h, Duration.ofSeconds(2)), LOOKS));
            }
        }
        long deadline = System.nanoTime() + Duration.ofSeconds(3).toNanos();
        Map<String, JsonNode> out = new LinkedHashMap<>();
        asked.forEach((h, f) -> {
            try {
                out.put(h, f.get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                out.put(h, JsonNodeFactory.instance.objectNode().put("error", "interrupted"));
            } catch (ExecutionException | TimeoutException e) {
                String why = e instanceof ExecutionException ? e.getCause().getMessage() : "no answer within 3 s";
                out.put(h, JsonNodeFactory.instance.objectNode().put("error", why));
            }
        });
        return out;
    }

    /** Threads that ask other instances for operators' pages, each call bounded in time. */
    private static final ExecutorService LOOKS = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "pequod-admin-look");
        t.setDaemon(true);
        return t;
    });

    /** @return each application's way through its input, for installs and rebuilds catching up */
    public List<ApplicationProgress> progress() {
        return engine.applicationProgress();
    }

    /**
     * @param limit how many, at most
     * @return the newest dead letters, newest first
     */
    public List<DeadLetterReader.Entry> deadLetters(int limit) {
        if (deadLetters == null) {
            throw QueryException.unavailable("this instance does not read the dead-letter topic");
        }
        return deadLetters.newest(limit);
    }

    /** @return the joins in force */
    public JoinSpec joins() {
        return engine.spec();
    }

    /** @return the tables this instance knows of */
    public Set<String> tables() {
        return engine.catalog().tables();
    }

    /**
     * @param name the spec's name, for positions in error messages
     * @param text the spec text, in Pequod's join language
     * @return what was installed
     * @throws QueryException a bad request naming file:line:column for an invalid spec; unavailable if Kafka fails
     */
    public ViewEngine.Installed install(String name, String text) {
        if (text == null || text.isBlank()) {
            throw QueryException.badRequest("installing joins needs a join spec (Pequod's join language), "
                    + "e.g. the contents of examples/twitter.pq");
        }
        try {
            return engine.install(name == null || name.isBlank() ? "request" : name, text);
        } catch (JoinSpecException e) {
            throw new QueryException(Failure.Kind.BAD_REQUEST, "invalid join spec", e.getMessage());
        } catch (PequodException e) {
            throw QueryException.unavailable("could not install the joins: " + e.getMessage());
        }
    }

    /**
     * @param view a maintained view
     * @return the new generation's application id
     * @throws QueryException a bad request naming the maintained views if {@code view} is not one
     */
    public String rebuild(String view) {
        try {
            return engine.rebuild(view);
        } catch (IllegalArgumentException e) {
            throw QueryException.badRequest(e.getMessage());
        }
    }

    /**
     * Waits until the views reflect every write made before the call.
     *
     * @param localOnly whether this instance only (else every instance)
     * @param timeout   how long to wait
     * @throws QueryException unavailable if they did not catch up in time
     */
    public void settle(boolean localOnly, Duration timeout) {
        boolean settled;
        try {
            settled = localOnly ? engine.awaitSettled(timeout) : service.settleAll(timeout);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            settled = false;
        }
        if (!settled) {
            throw QueryException.unavailable("the views did not catch up with the writes in time");
        }
    }

    /** @return this instance's health */
    public Health health() {
        Map<String, KafkaStreams.State> states = engine.state();
        boolean up = !states.isEmpty() && states.values().stream().allMatch(s -> s == KafkaStreams.State.RUNNING);
        return new Health(up, states, engine.catalog().storeLags(), engine.deadLetterCount(), engine.problems(),
                engine.sources());
    }
}
