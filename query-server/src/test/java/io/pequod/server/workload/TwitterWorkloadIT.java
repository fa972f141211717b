package io.pequod.server.workload;

import io.pequod.embedded.EmbeddedRuntime;
import io.pequod.server.PequodServer;
import io.pequod.views.spec.JoinSpecParser;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The twitternew workload through a real server reads exactly the posts the in-memory reference reads. */
@Timeout(600)
class TwitterWorkloadIT {
    @Test
    void shouldReadExactlyWhatTheReferenceReads(@TempDir Path dir) throws Exception {
        String spec = Files.readString(Path.of("..", "examples", "twitter.pq"));
        try (EmbeddedRuntime rt = EmbeddedRuntime.start(null);
             PequodServer s = PequodServer.builder().bootstrapServers(rt.bootstrapServers()).schemaRegistryUrl(rt.schemaRegistryUrl())
                     .namespace("tw").spec(JoinSpecParser.parse("twitter.pq", spec)).dataDir(dir).httpPort(0).respPort(-1)
                     .build().start()) {
            assertTrue(s.awaitRunning(Duration.ofMinutes(2)));
            // longer than the 100,000-tick skew: in-loop checks read posts of the loop, so the client
            // must wait for the views (settle) where a pending write could change a count
            TwitterWorkload w = new TwitterWorkload(options(false));
            TwitterWorkload.Result r = w.run(true, true, "http://127.0.0.1:" + s.httpPort());
            long expected = TwitterWorkload.reference(200, 110_000, 0.7, 7, 0);
            assertTrue(r.json().path("nsettles").asLong() > 0, "settles exercised: " + r.json());
            assertTrue(expected > 1000, "the run reads a sizable number of posts: " + expected);
            assertEquals(expected, r.postsRead());
            assertEquals(expected, r.json().path("nposts_read").asLong());
            assertTrue(r.json().path("write_to_visible_ms").path("t").path("count").asLong() > 0, "latencies reported: " + r.json());
            assertTrue(r.json().path("server_stats").path(0).path("tables").size() >= 3, "per-table stats: " + r.json());
            TwitterWorkload.Result fetched = new TwitterWorkload(options(true)).run(false, false, "http://127.0.0.1:" + s.httpPort());
            assertEquals(0, fetched.postsRead(), "no execute phase, nothing read");
        }
    }

    @Test
    void shouldPullCelebritiesPostsAndStillReadExactlyWhatTheReferenceReads(@TempDir Path dir) throws Exception {
        String spec = Files.readString(Path.of("..", "examples", "celebrity.pq"));
        try (EmbeddedRuntime rt = EmbeddedRuntime.start(null);
             PequodServer s = PequodServer.builder().bootstrapServers(rt.bootstrapServers()).schemaRegistryUrl(rt.schemaRegistryUrl())
                     .namespace("twc").spec(JoinSpecParser.parse("celebrity.pq", spec)).dataDir(dir).httpPort(0).respPort(-1)
                     .build().start()) {
            assertTrue(s.awaitRunning(Duration.ofMinutes(2)));
            // populate posts before the start make the run's own checks read (pulled and pushed) posts
            TwitterWorkload.Options o = new TwitterWorkload.Options(150, 8_000, 0.7, 3, false, 20_000,
                    TwitterWorkload.Timelines.CELEBRITY, 90, 1, null);
            TwitterWorkload.Result r = new TwitterWorkload(o).run(true, true, "http://127.0.0.1:" + s.httpPort());
            long expected = TwitterWorkload.reference(150, 8_000, 0.7, 3, 20_000);
            long celebrities = r.json().path("ncelebrities").asLong();
            assertTrue(celebrities > 0 && celebrities < 150, "some posters, not all, are celebrities: " + celebrities);
            assertTrue(r.json().path("nbackposts").asLong() > 0, "populate posts written: " + r.json());
            assertTrue(expected > 1000, "the run reads a sizable number of posts: " + expected);
            assertEquals(expected, r.postsRead());
        }
    }

    private static TwitterWorkload.Options options(boolean fetch) {
        return new TwitterWorkload.Options(200, 110_000, 0.7, 7, fetch, 0, TwitterWorkload.Timelines.JOIN, 0, 1, null);
    }
}
