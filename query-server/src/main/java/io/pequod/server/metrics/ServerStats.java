package io.pequod.server.metrics;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.pequod.server.query.QueryException;
import io.pequod.server.query.QueryService;
import io.pequod.views.ViewCatalog;
import io.pequod.views.ViewEngine;
import io.pequod.views.progress.TableStatistics;
import org.HdrHistogram.Histogram;

import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.Base64;
import java.util.Map;
import java.util.zip.DataFormatException;

/**
 * What one instance did, as JSON ({@code GET /v1/stats}): per table, the records applied to its
 * store ({@code records_in}), the derived records its writes caused in views ({@code records_out}),
 * write-to-visible latency percentiles in ms (from a record's timestamp, or for a derived record
 * the timestamp of the write that caused it, to the moment this instance applied it), store lag and
 * optionally the number of keys the instance holds; dead letters; this process's CPU times and
 * peak RSS.
 */
public final class ServerStats {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final double[] PERCENTILES = {50, 90, 99, 99.9};

    private ServerStats() {
    }

    /**
     * @param engine  the engine
     * @param service the query service, to count keys ({@code null}: no sizes)
     * @return the statistics
     */
    public static ObjectNode json(ViewEngine engine, QueryService service) {
        return json(engine, service, false);
    }

    /**
     * @param engine     the engine
     * @param service    the query service, to count keys ({@code null}: no sizes)
     * @param histograms whether to add each latency histogram ({@code visible_latency_hdr}: HdrHistogram's
     *                   compressed encoding in base64), so that a client can subtract an earlier snapshot
     * @return the statistics
     */
    public static ObjectNode json(ViewEngine engine, QueryService service, boolean histograms) {
        ObjectNode o = JSON.createObjectNode();
        ViewCatalog c = engine.catalog();
        Map<String, Long> lags = engine.catalog().storeLags();
        ObjectNode tables = o.putObject("tables");
        for (Map.Entry<String, TableStatistics.TableStats> e : engine.progress().statistics().tableStats().entrySet()) {
            String table = c.topics().tableOf(e.getKey()).orElse(null);
            if (table == null) {
                continue;
            }
            TableStatistics.TableStats st = e.getValue();
            ObjectNode t = tables.putObject(table);
            t.put("records_in", st.recordsIn());
            t.put("records_out", st.recordsOut());
            t.set("visible_latency_ms", latency(st.visibleLatency()));
            t.set("visible_latency_recent_ms", latency(st.recentLatency()));
            if (histograms) {
                t.put("visible_latency_hdr", encode(st.visibleLatency()));
            }
            Long lag = lags.get(c.storeName(table));
            if (lag != null) {
                t.put("store_lag", lag);
            }
            if (service != null && c.tables().contains(table)) {
                try {
                    t.put("store_size", service.countLocalTable(table));
                } catch (QueryException notNow) {
                    t.put("store_size", -1);
                }
            }
        }
        o.put("dead_letters", engine.deadLetterCount());
        ProcessStats ps = ProcessStats.now();
        o.put("user_time", ps.userMicros() / 1e6);
        o.put("system_time", ps.systemMicros() / 1e6);
        o.put("max_rss_mb", ps.maxRssMb());
        return o;
    }

    /** @return a histogram in HdrHistogram's compressed encoding, in base64 */
    public static String encode(Histogram h) {
        ByteBuffer b = ByteBuffer.allocate(h.getNeededByteBufferCapacity());
        int n = h.encodeIntoCompressedByteBuffer(b);
        return Base64.getEncoder().encodeToString(Arrays.copyOf(b.array(), n));
    }

    /**
     * @param base64 what {@link #encode} wrote
     * @return the histogram
     * @throws IllegalArgumentException if it is not one
     */
    public static Histogram decode(String base64) {
        try {
            return Histogram.decodeFromCompressedByteBuffer(ByteBuffer.wrap(Base64.getDecoder().decode(base64)), 2);
        } catch (DataFormatException | RuntimeException e) {
            throw new IllegalArgumentException("not an encoded latency histogram: " + e.getMessage(), e);
        }
    }

    /** @return count, p50, p90, p99, p99.9 and max of a histogram */
    public static ObjectNode latency(Histogram h) {
        ObjectNode l = JSON.createObjectNode();
        l.put("count", h.getTotalCount());
        for (double q : PERCENTILES) {
            String name = q == Math.floor(q) ? "p" + (int) q : "p" + String.valueOf(q).replace(".", "");
            l.put(name, h.getTotalCount() == 0 ? 0 : h.getValueAtPercentile(q));
        }
        l.put("max", h.getMaxValue());
        return l;
    }

}
