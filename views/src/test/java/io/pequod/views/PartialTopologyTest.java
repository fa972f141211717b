package io.pequod.views;

import io.pequod.schemas.TableTopics;
import io.pequod.views.internals.compile.PartialTopology;
import io.pequod.views.internals.processor.Activations;
import io.pequod.views.internals.processor.FillMark;
import io.pequod.views.internals.processor.ViewFences;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static io.pequod.views.CacheJoinTopologyTest.p;
import static io.pequod.views.CacheJoinTopologyTest.s;
import static io.pequod.views.CacheJoinTopologyTest.t;
import static io.pequod.views.CacheJoinTopologyTest.timeline;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A partial timeline on the real tables topology in TopologyTestDriver: nothing is materialized
 * until an activation, which back-fills exactly the user's timeline followed by its markers; the
 * range is then kept fresh (posts, follows, unfollows) while other users' stay empty; an eviction
 * erases it and marks it, and a new activation brings it back.
 */
class PartialTopologyTest {
    static final String PARTIAL = CacheJoinTopologyTest.TWITTER.replace("= copy", "= partial copy");

    private final List<FillMark> marks = new ArrayList<>();

    private ViewHarness harness() {
        ViewFences fences = new ViewFences();
        fences.fillsTo((view, m) -> {
            assertEquals("t", view);
            marks.add(m);

        });
        return ViewHarness.computed(fences, PARTIAL);
    }

    private static void log(ViewHarness h, int user, String what) {
        h.pipeRaw(PartialTopology.activationTopic(TableTopics.of(ViewHarness.NS), "t"),
                String.format("s|%08d|", user).getBytes(StandardCharsets.UTF_8), what.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void anActivationBackFillsOneTimelineWhichThenStaysFreshUntilEvicted() {
        try (ViewHarness h = harness()) {
            h.put(s(1, 2), "1").put(s(1, 3), "1").put(s(2, 2), "1");
            h.put(p(2, 100), "a").put(p(3, 150), "b");
            assertEquals(Map.of(), h.table("t"), "nothing is materialized before a read");
            assertTrue(marks.isEmpty());

            log(h, 1, Activations.ACTIVATE);
            assertEquals(Map.of(t(1, 100, 2), "a", t(1, 150, 3), "b"), h.table("t"), "user 1's timeline, nobody else's");
            assertEquals(1, marks.size(), "one marker per join-step partition the rows went to (one here)");
            FillMark m = marks.get(0);
            assertEquals("t|00000001|", new String(m.viewPrefix(), StandardCharsets.UTF_8));
            assertEquals(1, m.count());

            h.put(p(2, 200), "c");
            h.put(s(1, 4), "1").put(p(4, 50), "d");
            h.put(s(2, 3), "1");
            assertEquals(Map.of(t(1, 100, 2), "a", t(1, 150, 3), "b", t(1, 200, 2), "c", t(1, 50, 4), "d"), timeline(h, 1),
                    "posts and follows reach a materialized timeline");
            assertEquals(Map.of(), timeline(h, 2), "and no other");
            h.erase(s(1, 3));
            assertEquals(3, timeline(h, 1).size(), "an unfollow too");

            log(h, 1, Activations.EVICT);
            assertEquals(Map.of(), h.table("t"), "an evicted timeline's rows are erased");
            assertEquals(0, marks.get(marks.size() - 1).count(), "and its eviction marked");
            h.put(p(2, 300), "e");
            assertEquals(Map.of(), h.table("t"), "and no longer maintained");

            log(h, 1, Activations.ACTIVATE);
            assertEquals(Map.of(t(1, 100, 2), "a", t(1, 200, 2), "c", t(1, 300, 2), "e", t(1, 50, 4), "d"), timeline(h, 1));
            log(h, 3, Activations.ACTIVATE);
            FillMark none = marks.get(marks.size() - 1);
            assertEquals("t|00000003|", new String(none.viewPrefix(), StandardCharsets.UTF_8));
            assertEquals(1, none.count(), "a user who follows nobody: one marker, no rows");
            assertEquals(Map.of(), timeline(h, 3));
        }
    }
}
