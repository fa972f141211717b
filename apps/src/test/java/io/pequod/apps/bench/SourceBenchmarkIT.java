package io.pequod.apps.bench;

import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code bench sources} end to end on the embedded broker: every phase finishes (the table and the view are checked inside). */
@Timeout(300)
class SourceBenchmarkIT {
    @Test
    void shouldTimeTheTableAndTheViewAgainstThePlainProducer() throws Exception {
        ObjectNode r = new SourceBenchmark(5_000, 1, 2).run();
        assertEquals(5_000, r.path("records").asInt());
        for (String f : new String[] {"plain_producer_records_per_sec", "hand_written_translator_records_per_sec",
            "source_to_table_topic_records_per_sec",
            "source_to_readable_table_records_per_sec", "source_to_count_view_records_per_sec"}) {
            assertTrue(r.path(f).path("median").asLong() > 0, f + " in " + r);
        }
        assertTrue(r.path("ratio_table_topic_to_producer").asDouble() > 0, r.toString());
        assertTrue(r.path("ratio_table_topic_to_translator").asDouble() > 0, r.toString());
        assertTrue(r.path("source_start_seconds_median").asDouble() > 0, r.toString());
    }
}
