package io.pequod.apps.workload;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.pequod.embedded.EmbeddedRuntime;
import io.pequod.server.PequodServer;
import io.pequod.views.spec.JoinSpecParser;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The newp workload's views (karma, vote counts, article pages) equal the reference after the run. */
@Timeout(600)
class NewpWorkloadIT {
    @Test
    void shouldMaintainKarmaCountsAndPagesExactly(@TempDir Path dir) throws Exception {
        try (EmbeddedRuntime rt = EmbeddedRuntime.start(null);
             PequodServer s = PequodServer.builder().bootstrapServers(rt.bootstrapServers()).schemaRegistryUrl(rt.schemaRegistryUrl())
                     .namespace("newp").spec(JoinSpecParser.parse(Path.of("..", "examples", "newp.pq")))
                     .tables(Set.of("a", "c", "v")).dataDir(dir).httpPort(0).respPort(-1).build().start()) {
            assertTrue(s.awaitRunning(Duration.ofMinutes(2)));
            ObjectNode r = new NewpWorkload("http://127.0.0.1:" + s.httpPort(), 500, 300, 8_000, 0.5, 5).run();
            assertTrue(r.path("ndistinct_votes").asLong() > 1000, r.toString());
            assertTrue(r.path("verified_pages").asLong() > 50, r.toString());
            assertEquals(0, r.path("mismatches").asLong(), r.toString());
            assertTrue(r.path("verified").asBoolean());
        }
    }
}
