package io.pequod.views;

import io.pequod.schemas.Range;
import io.pequod.views.spec.Join;
import io.pequod.views.spec.JoinSpecParser;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Read-time evaluation of pull joins: results, and how much of each source a read touches. */
class JoinEvaluatorTest {
    private static final String CELEBRITY =
            "t|<user>|<time>|<poster> = pull copy ct|<time>|<poster> using filter cs|<user>|<poster> where user:8, time:10, poster:8";

    private final Map<String, TreeMap<String, String>> tables = new TreeMap<>();
    private final List<String> reads = new ArrayList<>();

    private void put(String key, String value) {
        tables.computeIfAbsent(key.substring(0, key.indexOf('|')), t -> new TreeMap<>()).put(key, value);
    }

    private Map<String, String> evaluate(String spec, String first, String last) {
        Join join = JoinSpecParser.parse("test.pq", spec).joins().get(0);
        TreeMap<byte[], byte[]> out = JoinEvaluator.evaluate(join, (table, range) -> {
            String from = new String(range.first(), StandardCharsets.UTF_8);
            String to = new String(range.last(), StandardCharsets.UTF_8);
            reads.add(table + " [" + from + ", " + to + ")");
            List<Map.Entry<byte[], byte[]>> l = new ArrayList<>();
            tables.getOrDefault(table, new TreeMap<>()).subMap(from, to).forEach((k, v) ->
                    l.add(Map.entry(k.getBytes(StandardCharsets.UTF_8), v.getBytes(StandardCharsets.UTF_8))));
            return l;
        }, Range.of(first, last));
        Map<String, String> m = new TreeMap<>();
        out.forEach((k, v) -> m.put(new String(k, StandardCharsets.UTF_8), new String(v, StandardCharsets.UTF_8)));
        return m;
    }

    @Test
    void shouldReadOnlyTheTimeWindowOfATimeKeyedSource() {
        put("cs|00000001|00000007", "1");
        put("ct|1000000005|00000007", "old");
        put("ct|1000000050|00000007", "in");
        put("ct|1000000050|00000008", "not followed");
        put("ct|1000000090|00000007", "late");

        Map<String, String> r = evaluate(CELEBRITY, "t|00000001|1000000010", "t|00000001|1000000060");

        assertEquals(Map.of("t|00000001|1000000050|00000007", "in"), r);
        assertTrue(reads.contains("ct [ct|1000000010, ct|1000000061)"), "the ct scan is narrowed to the window's times: " + reads);
        assertTrue(reads.stream().noneMatch(x -> x.startsWith("ct [ct|, ")), "never every celebrity post: " + reads);
    }

    @Test
    void shouldIncludeKeysAtTheUpperTimeWhenTheRangeEndsInsideIt() {
        put("cs|00000001|00000007", "1");
        put("ct|1000000060|00000007", "at the bound");

        assertEquals(Map.of("t|00000001|1000000060|00000007", "at the bound"),
                evaluate(CELEBRITY, "t|00000001|1000000010", "t|00000001|1000000060|00000008"));
        assertEquals(Map.of(), evaluate(CELEBRITY, "t|00000001|1000000010", "t|00000001|1000000060"));
    }

    @Test
    void shouldScanWholePrefixesWhenTheRangeBindsNoLeadingSlot() {
        put("s|00000001|00000007", "1");
        put("p|00000007|1000000050", "tweet");

        Map<String, String> r = evaluate(
                "t|<user>|<time>|<poster> = pull copy p|<poster>|<time> using s|<user>|<poster> where user:8, time:10, poster:8",
                "t|00000001|1000000000", "t|00000001|1000000100");

        assertEquals(Map.of("t|00000001|1000000050|00000007", "tweet"), r);
        assertEquals(List.of("s [s|00000001|, s|00000001})", "p [p|00000007|1000000000, p|00000007|1000000101)"), reads);
    }
}
