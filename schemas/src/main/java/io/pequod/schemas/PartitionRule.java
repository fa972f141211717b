package io.pequod.schemas;

import org.apache.kafka.common.utils.Utils;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * The partitioning rule shared by writers, the view engine and the query server: a key's
 * <em>partition key</em> is its table plus its first field, and all keys with one partition key
 * live in one Kafka partition. So a scan inside {@code t|alice|} touches one partition.
 *
 * <p>The first field is the text up to the second {@code |}. For tables whose join patterns use
 * slots without separators ({@code t|<user:5><time:10>}), the first field is instead the first
 * slot's fixed width: register it with {@link #withFixedWidth(String, int)}.
 *
 * <p>Partition = {@code toPositive(murmur2(partitionKey)) % partitions}, Kafka's own hash.
 * Immutable and thread-safe.
 */
public final class PartitionRule {
    private static final PartitionRule DEFAULT = new PartitionRule(Map.of());

    private final Map<String, Integer> fixedWidths;

    private PartitionRule(Map<String, Integer> fixedWidths) {
        this.fixedWidths = Map.copyOf(fixedWidths);
    }

    /** @return the rule with no fixed-width tables */
    public static PartitionRule standard() {
        return DEFAULT;
    }

    /**
     * @param table a table name (cannot be {@code null})
     * @param width the byte width of the table's first field, which has no separator after it
     * @return a rule like this one, with that table's first field of fixed width
     */
    public PartitionRule withFixedWidth(String table, int width) {
        Objects.requireNonNull(table, "table cannot be null");
        if (width < 1) {
            throw new IllegalArgumentException("Fixed width of table " + table + " must be at least 1, was " + width);
        }
        Map<String, Integer> m = new HashMap<>(fixedWidths);
        m.put(table, width);
        return new PartitionRule(m);
    }

    /** @return table name to fixed first-field width, for tables that have one */
    public Map<String, Integer> fixedWidths() {
        return fixedWidths;
    }

    /**
     * @param key a key's bytes (cannot be {@code null})
     * @return the number of leading bytes of {@code key} that form its partition key
     */
    public int partitionKeyLength(byte[] key) {
        int first = Key.indexOf(key, Key.SEPARATOR, 0);
        if (first < 0) {
            return key.length;
        }
        if (!fixedWidths.isEmpty()) {
            Integer w = fixedWidths.get(new String(key, 0, first, StandardCharsets.UTF_8));
            if (w != null) {
                return Math.min(key.length, first + 1 + w);
            }
        }
        int second = Key.indexOf(key, Key.SEPARATOR, first + 1);
        return second < 0 ? key.length : second;
    }

    /**
     * @param key a key's bytes (cannot be {@code null})
     * @return the partition key: table and first field
     */
    public byte[] partitionKey(byte[] key) {
        return Arrays.copyOf(key, partitionKeyLength(key));
    }

    /**
     * @param key        a key's bytes (cannot be {@code null})
     * @param partitions the topic's partition count (at least 1)
     * @return the partition that holds {@code key}
     */
    public int partition(byte[] key, int partitions) {
        int len = partitionKeyLength(key);
        byte[] pk = len == key.length ? key : Arrays.copyOf(key, len);
        return Utils.toPositive(Utils.murmur2(pk)) % partitions;
    }

    /**
     * Parses the form used in configuration: {@code table:width,table:width}.
     *
     * @param spec the fixed widths, possibly empty (cannot be {@code null})
     * @return the rule
     * @throws IllegalArgumentException naming the bad entry
     */
    public static PartitionRule parse(String spec) {
        PartitionRule r = DEFAULT;
        for (String part : spec.split(",")) {
            String p = part.trim();
            if (p.isEmpty()) {
                continue;
            }
            int colon = p.indexOf(':');
            try {
                r = r.withFixedWidth(p.substring(0, colon), Integer.parseInt(p.substring(colon + 1)));
            } catch (RuntimeException e) {
                throw new IllegalArgumentException("Invalid fixed width '" + p + "': expected table:width, e.g. t:5");
            }
        }
        return r;
    }

    /** @return the configuration form, {@code table:width,...} */
    public String format() {
        StringBuilder sb = new StringBuilder();
        new TreeMap<>(fixedWidths).forEach((t, w) -> sb.append(sb.length() == 0 ? "" : ",").append(t).append(':').append(w));
        return sb.toString();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof PartitionRule r && r.fixedWidths.equals(fixedWidths);
    }

    @Override
    public int hashCode() {
        return fixedWidths.hashCode();
    }

    @Override
    public String toString() {
        return "PartitionRule[" + format() + "]";
    }
}
