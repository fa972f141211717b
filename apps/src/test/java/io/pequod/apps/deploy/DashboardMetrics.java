package io.pequod.apps.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The metric names a Grafana dashboard queries and those a Prometheus text exposition carries, to
 * check a dashboard against a live server's {@code GET /metrics}. Names are compared as they appear
 * in the exposition: a histogram's {@code _bucket}, {@code _count} and {@code _sum} series, a
 * Micrometer timer's {@code _max}, a counter's {@code _total} are names of their own.
 * <p>
 * By hand: {@code DashboardMetrics DASHBOARD.json METRICS.txt} prints the queried names the
 * exposition lacks (exit 1 if any).
 */
public final class DashboardMetrics {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern IDENTIFIER = Pattern.compile("[A-Za-z_:][A-Za-z0-9_:]*");
    /** Label lists of grouping and vector matching: {@code by (a, b)} and the like. */
    private static final Pattern LABEL_LIST = Pattern.compile("\\b(by|without|on|ignoring|group_left|group_right)\\s*\\([^)]*\\)");
    private static final Set<String> KEYWORDS = Set.of("by", "without", "on", "ignoring", "group_left", "group_right", "bool", "and", "or",
            "unless", "offset", "atan2", "inf", "nan", "Inf", "NaN");

    private DashboardMetrics() {
    }

    /**
     * @param dashboardJson a dashboard in Grafana's JSON model
     * @return every metric name of every panel target's {@code expr} (panels inside rows included)
     * @throws IOException if it cannot be read
     */
    public static Set<String> queriedMetrics(Path dashboardJson) throws IOException {
        Set<String> out = new TreeSet<>();
        for (String expr : expressions(JSON.readTree(dashboardJson.toFile()))) {
            out.addAll(metricNames(expr));
        }
        return out;
    }

    /** @return every panel target's {@code expr}, rows' panels included */
    static List<String> expressions(JsonNode dashboard) {
        List<String> out = new ArrayList<>();
        for (JsonNode panel : panels(dashboard)) {
            for (JsonNode t : panel.path("targets")) {
                if (t.hasNonNull("expr")) {
                    out.add(t.get("expr").asText());
                }
            }
        }
        return out;
    }

    /** @return every panel, those inside rows included */
    static List<JsonNode> panels(JsonNode dashboard) {
        List<JsonNode> out = new ArrayList<>();
        for (JsonNode p : dashboard.path("panels")) {
            out.add(p);
            p.path("panels").forEach(out::add);
        }
        return out;
    }

    /**
     * @param promql a PromQL expression (Grafana's {@code $variables} allowed)
     * @return the metric names it selects: what is left once strings, label matchers {@code {...}},
     * ranges and offsets {@code [5m]}, grouping label lists, function and aggregation names
     * (an identifier followed by {@code (}), keywords, numbers and operators are taken out
     */
    public static Set<String> metricNames(String promql) {
        String s = blank(promql, '"', '"');
        s = blank(s, '\'', '\'');
        s = blank(s, '`', '`');
        s = blank(s, '{', '}');
        s = blank(s, '[', ']');
        s = LABEL_LIST.matcher(s).replaceAll(" ");
        Set<String> out = new TreeSet<>();
        Matcher m = IDENTIFIER.matcher(s);
        while (m.find()) {
            String name = m.group();
            int start = m.start();
            if (start > 0 && (Character.isDigit(s.charAt(start - 1)) || s.charAt(start - 1) == '$' || s.charAt(start - 1) == '.')) {
                continue; // part of a number (1e3, 0.5), a duration or a Grafana variable
            }
            int next = m.end();
            while (next < s.length() && Character.isWhitespace(s.charAt(next))) {
                next++;
            }
            if (next < s.length() && s.charAt(next) == '(') {
                continue; // a function or an aggregation
            }
            if (!KEYWORDS.contains(name)) {
                out.add(name);
            }
        }
        return out;
    }

    /** Replaces every span from {@code open} to its {@code close} (quotes inside braces respected) by a space. */
    private static String blank(String s, char open, char close) {
        StringBuilder b = new StringBuilder(s.length());
        int i = 0;
        while (i < s.length()) {
            char c = s.charAt(i);
            if (c != open) {
                b.append(c);
                i++;
                continue;
            }
            int j = i + 1;
            char quote = 0;
            while (j < s.length()) {
                char d = s.charAt(j);
                if (quote != 0) {
                    if (d == '\\') {
                        j++;
                    } else if (d == quote) {
                        quote = 0;
                    }
                } else if (d == close) {
                    break;
                } else if (open != close && (d == '"' || d == '\'')) {
                    quote = d;
                }
                j++;
            }
            b.append(' ');
            i = j + 1;
        }
        return b.toString();
    }

    /**
     * @param prometheusText a Prometheus (or OpenMetrics) text exposition
     * @return the names of its samples (not of its {@code # TYPE} families)
     */
    public static Set<String> exportedMetrics(String prometheusText) {
        Set<String> out = new TreeSet<>();
        for (String line : prometheusText.split("\n")) {
            String l = line.strip();
            if (l.isEmpty() || l.startsWith("#")) {
                continue;
            }
            Matcher m = IDENTIFIER.matcher(l);
            if (m.lookingAt()) {
                out.add(m.group());
            }
        }
        return out;
    }

    /**
     * @param args a dashboard's JSON file and a saved {@code /metrics} answer
     * @throws IOException if one cannot be read
     */
    public static void main(String[] args) throws IOException {
        Set<String> missing = new TreeSet<>(queriedMetrics(Path.of(args[0])));
        missing.removeAll(exportedMetrics(Files.readString(Path.of(args[1]), StandardCharsets.UTF_8)));
        missing.forEach(System.out::println);
        System.exit(missing.isEmpty() ? 0 : 1);
    }
}
