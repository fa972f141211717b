package io.pequod.server.http;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpMethod;
import io.pequod.server.metrics.ServerMetrics;
import io.pequod.server.query.AdminService;
import io.pequod.server.query.QueryService;
import io.pequod.views.ViewEngine;
import io.pequod.views.progress.SourceStatus;
import io.pequod.views.spec.Join;

import java.time.Duration;

import static io.pequod.server.http.Responses.JSON;
import static io.pequod.server.http.Responses.ok;

/** Operators' endpoints: joins, rebuild, settle, stats, health and metrics. */
final class AdminRoutes {
    private final AdminService admin;
    private final QueryService service;
    private final ServerMetrics metrics;

    AdminRoutes(AdminService admin, QueryService service, ServerMetrics metrics) {
        this.admin = admin;
        this.service = service;
        this.metrics = metrics;
    }

    void register(RouteTable t) {
        Route.Group g = Route.Group.ADMIN;
        t.add(HttpMethod.GET, "/v1/joins", g, c -> ok(joins()))
                .add(HttpMethod.POST, "/v1/joins", g, this::install)
                .add(HttpMethod.POST, "/v1/views/{view}/rebuild", g, c -> {
                    String view = c.variableText();
                    return ok(JSON.createObjectNode().put("view", view).put("application", admin.rebuild(view)));
                })
                .add(HttpMethod.GET, "/v1/settle", g, c -> {
                    Integer ms = c.intParam("timeout_ms");
                    admin.settle("local".equals(c.param("scope")), Duration.ofMillis(ms == null ? 60_000 : ms));
                    return ok(JSON.createObjectNode().put("settled", true));
                })
                .add(HttpMethod.GET, "/v1/stats", g, this::stats)
                .add(HttpMethod.GET, "/metrics", g, c -> Responses.text(200, metrics.scrape(), "text/plain; version=0.0.4; charset=utf-8"))
                .add(HttpMethod.GET, "/health", Route.Group.PROBE, c -> health());
    }

    /** {@code POST /v1/joins[?name=FILE]}: installs the body's joins (Pequod's join language). */
    private FullHttpResponse install(Call c) {
        ViewEngine.Installed r = admin.install(c.param("name"), c.bodyText());
        ObjectNode o = joins();
        ArrayNode added = o.putArray("added");
        r.added().forEach(added::add);
        ObjectNode started = o.putObject("started");
        r.views().forEach(started::put);
        ArrayNode newTables = o.putArray("new_tables");
        r.tables().forEach(newTables::add);
        return ok(o);
    }

    private ObjectNode joins() {
        ObjectNode o = JSON.createObjectNode();
        ArrayNode a = o.putArray("joins");
        for (Join j : admin.joins().joins()) {
            ObjectNode n = a.addObject();
            n.put("sink", j.sinkTable());
            n.put("operator", j.operator().keyword());
            n.put("mode", j.pull() ? "pull" : j.partial() ? "partial" : "push");
            n.put("text", j.text());
            n.put("position", j.position().toString());
        }
        o.putPOJO("tables", admin.tables());
        ArrayNode sources = o.putArray("sources");
        admin.joins().sources().forEach(d -> sources.addObject().put("table", d.table()).put("topic", d.topic())
                .put("format", d.formatName()).put("text", d.text()).put("position", d.position().toString()));
        return o;
    }

    /** This instance's statistics, or with {@code all=true} every instance's, this one first. */
    private FullHttpResponse stats(Call c) {
        ObjectNode local = metrics.stats(c.bool("sizes") ? service : null, c.bool("histograms"));
        if (!c.bool("all")) {
            return ok(local);
        }
        ObjectNode all = JSON.createObjectNode();
        ArrayNode instances = all.putArray("instances");
        instances.add(local.put("instance", service.self().host() + ":" + service.self().port()));
        service.askOthers("/v1/stats?sizes=" + c.bool("sizes") + "&histograms=" + c.bool("histograms"))
                .forEach((h, st) -> instances.add(((ObjectNode) st).put("instance", h.host() + ":" + h.port())));
        return ok(all);
    }

    private FullHttpResponse health() {
        AdminService.Health h = admin.health();
        ObjectNode o = JSON.createObjectNode();
        o.put("status", h.up() ? "UP" : "DOWN");
        ObjectNode apps = o.putObject("applications");
        h.applications().forEach((k, v) -> apps.put(k, v.name()));
        ObjectNode lag = o.putObject("store_lag");
        h.storeLags().forEach(lag::put);
        o.put("dead_letters", h.deadLetters());
        // Still serving (the tables are shared), but an operator must act: listed, not a 503.
        ObjectNode problems = o.putObject("problems");
        h.problems().forEach(problems::put);
        ArrayNode sources = o.putArray("sources");
        for (SourceStatus s : h.sources()) {
            sources.addObject().put("table", s.table()).put("topic", s.topic()).put("format", s.format())
                    .put("application", s.application()).put("state", s.state()).put("lag", s.lag())
                    .put("dead_letters", s.deadLetters());
        }
        ObjectNode partial = o.putObject("partial_views");
        admin.partialViews().forEach((view, st) -> partial.putObject(view).put("ranges", st.ranges()).put("activations", st.activations())
                .put("evictions", st.evictions()).put("backfills", st.backfills())
                .put("backfill_ms_mean", st.backfills() == 0 ? 0 : Math.round(st.backfillMsTotal() / st.backfills() * 100) / 100.0)
                .put("backfill_ms_max", Math.round(st.backfillMsMax() * 100) / 100.0));
        return Responses.json(h.up() ? 200 : 503, o);
    }
}
