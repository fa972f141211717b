package io.pequod.apps.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code bench joins --baseline dsl} end to end through the embedded broker, small: ours and both
 * DSL versions each reach every derived row in their topic and in their queryable store (the
 * benchmark waits for exactly that count and fails if it stands still), and the rebuild finishes.
 */
@Timeout(600)
class JoinBenchmarkIT {
    @Test
    void shouldTimeOursAndBothDslTimelinesToEveryReadableRow() throws Exception {
        JsonNode r = new ObjectMapper().readTree(new JoinBenchmark(300, 5, 400, DslTimeline.Variant.named("dsl")).run(null, null));
        assertEquals(1900, r.path("input_records").asLong(), "300 x 5 follows + 400 posts");
        long derived = r.path("derived_records").asLong();
        assertTrue(derived > 1000, "each post reaches its poster's ~5 followers: " + derived);
        for (String run : List.of("timeline_join", "dsl_tuned", "dsl_foreign_key")) {
            JsonNode x = r.path(run);
            assertTrue(x.path("seconds_to_topic").asDouble() > 0 && x.path("seconds_to_store").asDouble() > 0, run + ": " + x);
        }
        assertTrue(r.path("rebuild").path("seconds").asDouble() > 0, r.toString());
        assertTrue(r.path("ratio_join_to_best_dsl_store").asDouble() > 0, r.toString());
    }
}
