package io.pequod.apps.workload;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The twitternew model: graph files (--graph) and the determinism the reference relies on. */
class TwitterModelTest {
    @Test
    void shouldReadAGraphFileOfUserFollowerPairs(@TempDir Path dir) throws Exception {
        Path f = Files.writeString(dir.resolve("g.txt"), "4\n0 1\n0 2\n\n2 3\n0 1\n");
        TwitterModel.Graph g = TwitterModel.Graph.read(f);
        assertEquals(4, g.nusers());
        assertEquals(3, g.follows().size(), "a pair given twice counts once");
        assertArrayEquals(new int[] {1, 0}, g.follows().get(0), "(follower, user): user 1 follows user 0");
        TwitterModel m = new TwitterModel(4, 1.0, 1, g);
        assertEquals(3, m.follows.size());
        assertEquals(2, m.followerCount[0]);
        assertEquals(1, m.followerCount[2]);
    }

    @Test
    void shouldNameFileAndLineOfAMalformedGraph(@TempDir Path dir) throws Exception {
        IllegalArgumentException users = assertThrows(IllegalArgumentException.class,
                () -> TwitterModel.Graph.read(Files.writeString(dir.resolve("a.txt"), "many\n0 1\n")));
        assertEquals("a.txt:1: expected the number of users (at least 2), found 'many'", users.getMessage());
        IllegalArgumentException pair = assertThrows(IllegalArgumentException.class,
                () -> TwitterModel.Graph.read(Files.writeString(dir.resolve("b.txt"), "3\n0 1\n2 3\n")));
        assertEquals("b.txt:3: expected 'user follower', two user numbers from 0 to 2, found '2 3'", pair.getMessage());
        assertThrows(IllegalArgumentException.class, () -> TwitterModel.Graph.read(Files.writeString(dir.resolve("c.txt"), "")));
        assertThrows(IllegalArgumentException.class, () -> new TwitterWorkload.Options(5, 10, 0.7, 1, false, 0,
                TwitterWorkload.Timelines.JOIN, 0, 1, null, new TwitterModel.Graph(4, List.of())));
    }

    @Test
    void shouldGenerateTheSameOperationsForTheSameSeedAndGraph() {
        TwitterModel.Graph g = new TwitterModel.Graph(50, List.of(new int[] {1, 0}, new int[] {2, 0}, new int[] {0, 3}));
        long a = TwitterReference.reference(50, 30_000, 0.7, 5, 20_000, g);
        long b = TwitterReference.reference(50, 30_000, 0.7, 5, 20_000, g);
        assertEquals(a, b);
        assertTrue(a > 0, "followers of posting users read posts: " + a);
    }
}
