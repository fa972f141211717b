package io.pequod.apps.chaos;

import com.fasterxml.jackson.databind.JsonNode;

import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * After the chaos: waits until the views settle, reads the final base tables and every view
 * through an instance, and counts acknowledged writes that are missing and view entries that
 * differ from {@link ChaosSpec#expected} over the base tables.
 *
 * @param lostWrites acknowledged writes whose key does not hold the last acknowledged value
 * @param viewRows   the entries the views must hold
 * @param wrong      entries with another value
 * @param missing    entries absent
 * @param extra      entries that must not be there
 * @param samples    a few of the differences, to read
 * @param settleMs   how long the settle took
 */
public record ViewCheck(long lostWrites, long viewRows, long wrong, long missing, long extra, List<String> samples, long settleMs) {
    /** @return whether nothing was lost and every view is exact */
    public boolean exact() {
        return lostWrites == 0 && wrong == 0 && missing == 0 && extra == 0;
    }

    /** @return the fields, for the JSON report */
    public Map<String, Object> fields() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("lost_writes", lostWrites);
        m.put("view_rows", viewRows);
        m.put("wrong", wrong);
        m.put("missing", missing);
        m.put("extra", extra);
        m.put("settle_ms", settleMs);
        m.put("samples", samples);
        return m;
    }

    /**
     * @param load the load, with its ledger
     * @param url  the instance to read through
     * @return what differs
     */
    static ViewCheck run(ChaosLoad load, String url) throws IOException, InterruptedException {
        long t0 = System.nanoTime();
        load.getJson(url, "/v1/settle?timeout_ms=60000");
        long settleMs = (System.nanoTime() - t0) / 1_000_000;
        TreeMap<String, String> base = new TreeMap<>();
        for (String t : ChaosSpec.BASE) {
            base.putAll(scan(load, url, t));
        }
        List<String> samples = new ArrayList<>();
        long lost = 0;
        for (Map.Entry<String, String> e : load.ledger().entrySet()) {
            String want = ChaosLoad.ERASED.equals(e.getValue()) ? null : e.getValue();
            if (!Objects.equals(want, base.get(e.getKey()))) {
                lost++;
                sample(samples, "lost write " + e.getKey() + ": acknowledged " + want + ", holds " + base.get(e.getKey()));
            }
        }
        TreeMap<String, String> expected = ChaosSpec.expected(base);
        TreeMap<String, String> actual = new TreeMap<>();
        for (String t : ChaosSpec.VIEWS) {
            actual.putAll(scan(load, url, t));
        }
        long wrong = 0;
        long missing = 0;
        long extra = 0;
        for (Map.Entry<String, String> e : expected.entrySet()) {
            String got = actual.get(e.getKey());
            if (got == null) {
                missing++;
                sample(samples, "missing " + e.getKey() + " = " + e.getValue());
            } else if (!got.equals(e.getValue())) {
                wrong++;
                sample(samples, "wrong " + e.getKey() + ": " + got + ", expected " + e.getValue());
            }
        }
        for (String k : actual.keySet()) {
            if (!expected.containsKey(k)) {
                extra++;
                sample(samples, "extra " + k + " = " + actual.get(k));
            }
        }
        return new ViewCheck(lost, expected.size(), wrong, missing, extra, samples, settleMs);
    }

    private static void sample(List<String> samples, String s) {
        if (samples.size() < 10) {
            samples.add(s);
        }
    }

    /** @return every entry of a table, page by page */
    static TreeMap<String, String> scan(ChaosLoad load, String url, String table) throws IOException, InterruptedException {
        TreeMap<String, String> out = new TreeMap<>();
        String first = table + "|";
        while (true) {
            JsonNode r = load.getJson(url, "/v1/scan?first=" + ChaosLoad.enc(first) + "&last=" + ChaosLoad.enc(table + "}")
                    + "&limit=10000");
            String lastKey = null;
            for (JsonNode e : r.path("entries")) {
                lastKey = e.path("key").asText();
                out.put(lastKey, e.path("value").asText());
            }
            if (!r.path("more").asBoolean() || lastKey == null) {
                return out;
            }
            first = lastKey + "\u0000";
        }
    }
}
