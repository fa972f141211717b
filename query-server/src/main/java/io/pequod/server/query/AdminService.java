package io.pequod.server.query;

import io.pequod.schemas.PequodException;
import io.pequod.views.ViewEngine;
import io.pequod.views.progress.SourceStatus;
import io.pequod.views.spec.JoinSpec;
import io.pequod.views.spec.JoinSpecException;
import org.apache.kafka.streams.KafkaStreams;

import java.time.Duration;
import java.util.List;
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
    /** @return per partial view computed here: materialized ranges, activations, evictions, back-fills and their time */
    public Map<String, io.pequod.views.PartialViews.Stats> partialViews() {
        return engine.partialViews().stats();
    }

    public record Health(boolean up, Map<String, KafkaStreams.State> applications, Map<String, Long> storeLags,
                         long deadLetters, Map<String, String> problems, List<SourceStatus> sources) {
    }

    /**
     * @param engine  the running engine
     * @param service the query service (for the namespace-wide settle)
     */
    public AdminService(ViewEngine engine, QueryService service) {
        this.engine = engine;
        this.service = service;
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
