package io.pequod.apps.chaos;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The joins the chaos test keeps, one of each operator, and their evaluation written out by hand
 * over the base tables: the independent answer every view is compared with.
 * <pre>
 * s|user|poster = "1"     user follows poster       x|user|item = a number
 * p|poster|time = text    a post
 * </pre>
 */
public final class ChaosSpec {
    static final int USERS = 40;
    static final int ITEMS = 6;

    /** The joins: a timeline (copy), posts per poster (count), and the sum, min and max of each user's items. */
    public static final String JOINS = """
            # The chaos test's joins (./pequod bench failover): one of each operator.
            t|<user>|<time>|<poster> = copy p|<poster>|<time> using s|<user>|<poster> where user:4, time:8, poster:4
            n|<poster> = count p|<poster>|<time> where poster:4, time:8
            v|<user> = sum x|<user>|<item> where user:4, item:4
            lo|<user> = min x|<user>|<item> where user:4, item:4
            hi|<user> = max x|<user>|<item> where user:4, item:4
            """;

    /** The base tables, then the views. */
    static final List<String> BASE = List.of("s", "p", "x");
    static final List<String> VIEWS = List.of("t", "n", "v", "lo", "hi");

    private ChaosSpec() {
    }

    static String id(int n) {
        return String.format("%04d", n);
    }

    static String follow(int user, int poster) {
        return "s|" + id(user) + "|" + id(poster);
    }

    static String post(int poster, long time) {
        return "p|" + id(poster) + "|" + String.format("%08d", time);
    }

    static String item(int user, int item) {
        return "x|" + id(user) + "|" + id(item);
    }

    /**
     * @param base every key and value of the base tables
     * @return every key and value the views must hold
     */
    static TreeMap<String, String> expected(Map<String, String> base) {
        Map<String, List<String[]>> posts = new HashMap<>(); // poster -> [time, text]
        Map<String, List<String>> items = new TreeMap<>(); // user -> values
        List<String[]> follows = new ArrayList<>(); // [user, poster]
        for (Map.Entry<String, String> e : base.entrySet()) {
            String[] f = e.getKey().split("\\|", -1);
            switch (f[0]) {
                case "s" -> follows.add(new String[] {f[1], f[2]});
                case "p" -> posts.computeIfAbsent(f[1], x -> new ArrayList<>()).add(new String[] {f[2], e.getValue()});
                case "x" -> items.computeIfAbsent(f[1], x -> new ArrayList<>()).add(e.getValue());
                default -> throw new IllegalArgumentException("not a base key: " + e.getKey());
            }
        }
        TreeMap<String, String> out = new TreeMap<>();
        for (String[] s : follows) {
            for (String[] p : posts.getOrDefault(s[1], List.of())) {
                out.put("t|" + s[0] + "|" + p[0] + "|" + s[1], p[1]);
            }
        }
        posts.forEach((poster, l) -> out.put("n|" + poster, Integer.toString(l.size())));
        items.forEach((user, values) -> {
            long sum = 0;
            byte[] lo = null;
            byte[] hi = null;
            for (String v : values) {
                sum += Long.parseLong(v);
                byte[] b = v.getBytes(StandardCharsets.UTF_8);
                lo = lo == null || Arrays.compareUnsigned(b, lo) < 0 ? b : lo;
                hi = hi == null || Arrays.compareUnsigned(b, hi) > 0 ? b : hi;
            }
            out.put("v|" + user, Long.toString(sum));
            out.put("lo|" + user, new String(lo, StandardCharsets.UTF_8));
            out.put("hi|" + user, new String(hi, StandardCharsets.UTF_8));
        });
        return out;
    }
}
