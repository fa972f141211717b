package io.pequod.server.http;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpMethod;
import io.pequod.server.metrics.ServerMetrics;
import com.fasterxml.jackson.databind.JsonNode;
import io.pequod.server.query.AdminService;
import io.pequod.server.query.DeadLetterReader;
import io.pequod.server.query.QueryException;
import io.pequod.views.progress.ApplicationProgress;
import io.pequod.server.query.QueryService;
import io.pequod.views.ViewEngine;
import io.pequod.views.progress.SourceStatus;
import io.pequod.views.spec.Join;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

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
                .add(HttpMethod.GET, "/v1/instances", g, c -> ok(instances()))
                .add(HttpMethod.GET, "/v1/progress", g, c -> ok(progress()))
                .add(HttpMethod.GET, "/v1/dead-letters", g, this::deadLetters)
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

    /** Every instance: its health, and the partitions of each table it owns and holds as standby. */
    private ObjectNode instances() {
        Map<String, JsonNode> healths = new LinkedHashMap<>();
        String self = service.self().host() + ":" + service.self().port();
        healths.put(self, healthJson());
        healths.putAll(admin.othersHealth());
        Map<String, List<AdminService.Holders>> holders = admin.holders();
        ObjectNode o = JSON.createObjectNode().put("self", self);
        ArrayNode list = o.putArray("instances");
        Set<String> all = new TreeSet<>(healths.keySet());
        holders.values().forEach(hs -> hs.forEach(h -> {
            if (h.active() != null) {
                all.add(h.active());
            }
            all.addAll(h.standbys());
        }));
        for (String i : all) {
            ObjectNode n = list.addObject().put("instance", i).put("self", i.equals(self));
            JsonNode h = healths.get(i);
            // UNKNOWN: in Streams' metadata but not (yet) among the instances routing knows
            n.put("status", h == null ? "UNKNOWN" : h.has("status") ? h.path("status").asText() : "UNREACHABLE");
            if (h != null && h.has("error")) {
                n.put("error", h.path("error").asText());
            }
            n.set("applications", h == null ? JSON.createObjectNode() : h.path("applications"));
            n.set("partial_views", h == null ? JSON.createObjectNode() : h.path("partial_views"));
            ObjectNode active = n.putObject("active");
            ObjectNode standby = n.putObject("standby");
            holders.forEach((table, hs) -> {
                ArrayNode a = JSON.createArrayNode();
                ArrayNode s = JSON.createArrayNode();
                hs.forEach(x -> {
                    if (i.equals(x.active())) {
                        a.add(x.partition());
                    }
                    if (x.standbys().contains(i)) {
                        s.add(x.partition());
                    }
                });
                if (!a.isEmpty()) {
                    active.set(table, a);
                }
                if (!s.isEmpty()) {
                    standby.set(table, s);
                }
            });
        }
        ObjectNode tables = o.putObject("tables");
        holders.forEach((table, hs) -> {
            ArrayNode parts = tables.putObject(table).putArray("partitions");
            hs.forEach(x -> {
                ObjectNode p = parts.addObject().put("partition", x.partition()).put("active", x.active());
                x.standbys().forEach(p.putArray("standbys")::add);
            });
        });
        return o;
    }

    /** Each application's way through its input, as installs and rebuilds catch up. */
    private ObjectNode progress() {
        ObjectNode o = JSON.createObjectNode();
        ArrayNode a = o.putArray("applications");
        for (ApplicationProgress p : admin.progress()) {
            a.addObject().put("application", p.application()).put("state", p.state()).put("consumed", p.consumed())
                    .put("total", p.total()).put("lag", p.lag()).put("fraction", Math.round(p.fraction() * 10_000) / 10_000.0);
        }
        return o;
    }

    /** {@code GET /v1/dead-letters[?limit=50]}: the newest dead letters, newest first. */
    private FullHttpResponse deadLetters(Call c) {
        Integer limit = c.intParam("limit");
        int n = limit == null ? 50 : limit;
        if (n < 1 || n > 1000) {
            throw QueryException.badRequest("limit must be between 1 and 1000; got " + n);
        }
        ObjectNode o = JSON.createObjectNode();
        ArrayNode a = o.putArray("dead_letters");
        for (DeadLetterReader.Entry e : admin.deadLetters(n)) {
            ObjectNode d = a.addObject().put("partition", e.partition()).put("offset", e.offset()).put("timestamp", e.timestampMs())
                    .put("reason", e.reason());
            d.putObject("origin").put("topic", e.originTopic()).put("partition", e.originPartition()).put("offset", e.originOffset())
                    .put("application", e.application());
            bytes(d, "key", e.key());
            bytes(d, "value", e.value());
        }
        return ok(o);
    }

    /** A record's bytes as text when they are UTF-8 without control characters, else as base64 ({@code <field>_base64}). */
    private static void bytes(ObjectNode o, String field, byte[] b) {
        if (b == null) {
            o.putNull(field);
            return;
        }
        String text = new String(b, StandardCharsets.UTF_8);
        boolean printable = java.util.Arrays.equals(text.getBytes(StandardCharsets.UTF_8), b)
                && text.chars().noneMatch(ch -> ch < 0x20 && ch != '\n' && ch != '\t' && ch != '\r');
        if (printable) {
            o.put(field, text);
        } else {
            o.put(field + "_base64", java.util.Base64.getEncoder().encodeToString(b));
        }
    }

    private FullHttpResponse health() {
        ObjectNode o = healthJson();
        return Responses.json("UP".equals(o.path("status").asText()) ? 200 : 503, o);
    }

    private ObjectNode healthJson() {
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
        return o;
    }
}
