package io.pequod.views;

import io.pequod.schemas.Changes;
import io.pequod.schemas.Range;
import io.pequod.schemas.avro.Operation;
import io.pequod.views.internals.processor.DeadLetter;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.TreeMap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Pequod's own unit tests, adapted to eager maintenance, on the real topologies in TopologyTestDriver. */
class CacheJoinTopologyTest {
    static final String TWITTER =
            "t|<user>|<time>|<poster> = copy p|<poster>|<time> using s|<user>|<poster> where user:8, time:10, poster:8";

    static String s(int user, int poster) {
        return String.format("s|%08d|%08d", user, poster);
    }

    static String p(int poster, long time) {
        return String.format("p|%08d|%010d", poster, time);
    }

    static String t(int user, long time, int poster) {
        return String.format("t|%08d|%010d|%08d", user, time, poster);
    }

    static Map<String, String> timeline(ViewHarness h, int user) {
        String prefix = String.format("t|%08d|", user);
        return h.scan("t", prefix, prefix.substring(0, prefix.length() - 1) + "}");
    }

    /** Views read the tables application's changelogs (as the engine runs them), or table topics into src stores. */
    @ParameterizedTest(name = "changelogs {0}")
    @ValueSource(booleans = {true, false})
    void simpleTimelineShouldGainPostsFollowsAndLoseUnfollows(boolean changelogs) {
        try (ViewHarness h = new ViewHarness(changelogs, TWITTER)) {
            h.put(s(1, 2), "1").put(s(1, 3), "1");
            h.put(p(2, 100), "a").put(p(2, 200), "b").put(p(3, 150), "c").put(p(3, 250), "d");
            assertEquals(4, timeline(h, 1).size());
            h.put(p(3, 300), "e").put(p(2, 400), "f");
            assertEquals(6, timeline(h, 1).size());
            h.put(p(4, 50), "g").put(p(4, 60), "h");
            assertEquals(6, timeline(h, 1).size(), "posts of someone not followed do not appear");
            h.put(s(1, 4), "1");
            assertEquals(8, timeline(h, 1).size(), "a follow adds the followee's past posts");
            assertEquals("g", timeline(h, 1).get(t(1, 50, 4)));
            h.erase(s(1, 4));
            assertEquals(6, timeline(h, 1).size(), "an unfollow removes them");
            h.put(p(2, 100), "a2");
            assertEquals("a2", timeline(h, 1).get(t(1, 100, 2)), "an overwritten post is overwritten in the timeline");
            h.erase(p(3, 150));
            assertFalse(timeline(h, 1).containsKey(t(1, 150, 3)), "an erased post leaves the timeline");
            h.put(s(1, 2), "again");
            assertEquals(5, timeline(h, 1).size(), "overwriting a subscription changes nothing");
        }
    }

    @Test
    void overlapShouldReadTwoUsersTimelinesInOneScan() {
        try (ViewHarness h = new ViewHarness(TWITTER)) {
            h.put(s(1, 3), "1").put(s(2, 3), "1").put(s(2, 4), "1");
            h.put(p(3, 10), "x").put(p(4, 20), "y");
            TreeMap<String, String> both = h.scan("t", "t|00000001|", "t|00000002}");
            assertEquals(Map.of(t(1, 10, 3), "x", t(2, 10, 3), "x", t(2, 20, 4), "y"), both);
        }
    }

    @Test
    void recursiveJoinShouldReadAnotherJoinsSink() {
        try (ViewHarness h = new ViewHarness(TWITTER + "\nn|<user> = count t|<user>|<time>|<poster>")) {
            h.put(s(1, 2), "1").put(p(2, 1), "a").put(p(2, 2), "b");
            assertEquals("2", h.table("n").get("n|00000001"));
            h.put(s(1, 3), "1").put(p(3, 5), "c");
            assertEquals("3", h.table("n").get("n|00000001"));
            h.erase(s(1, 2));
            assertEquals("1", h.table("n").get("n|00000001"));
            h.erase(s(1, 3));
            assertEquals("0", h.table("n").get("n|00000001"), "count stays at 0");
        }
    }

    static final String AGGREGATES = """
            cnt|<g> = count v|<g>|<k>
            mn|<g> = min v|<g>|<k>
            mx|<g> = max v|<g>|<k>
            sm|<g> = sum v|<g>|<k>
            """;

    /**
     * At least once, a crash can come after a view's stores logged a change and before what it
     * sent reached the broker; the replay after the restart must still reach the view.
     */
    @ParameterizedTest(name = "changelogs {0}")
    @ValueSource(booleans = {true, false})
    void aReplayedChangeWhoseOutputACrashLostShouldStillReachEveryView(boolean changelogs) {
        try (ViewHarness h = new ViewHarness(changelogs, AGGREGATES + "\n" + TWITTER)) {
            h.put("v|a|1", "10").put("v|a|2", "20").put(s(1, 2), "1");
            h.crashAfterStoreWritesThenReplay("v|a|3", "30");
            assertEquals(Map.of("cnt|a", "3", "mn|a", "10", "mx|a", "30", "sm|a", "60"), aggregates(h));
            h.crashAfterStoreWritesThenReplay("v|a|2", null);
            assertEquals(Map.of("cnt|a", "2", "mn|a", "10", "mx|a", "30", "sm|a", "40"), aggregates(h));
            h.crashAfterStoreWritesThenReplay("v|a|3", "5");
            assertEquals(Map.of("cnt|a", "2", "mn|a", "10", "mx|a", "5", "sm|a", "15"), aggregates(h), "bytewise: \"5\" > \"10\"");
            h.crashAfterStoreWritesThenReplay(p(2, 100), "post");
            assertEquals(Map.of(t(1, 100, 2), "post"), timeline(h, 1));
            h.crashAfterStoreWritesThenReplay(s(1, 2), null);
            assertEquals(Map.of(), timeline(h, 1), "the unfollow reached the timeline");
            h.put("v|a|1", "10").put(s(1, 2), "1");
            assertEquals(Map.of(t(1, 100, 2), "post"), timeline(h, 1), "a repeated write changes nothing");
            assertEquals("2", h.table("cnt").get("cnt|a"));
            h.erase("v|zz|1");
            assertNull(h.table("cnt").get("cnt|zz"), "an erase of a key that never was makes no count");
            assertNull(h.table("sm").get("sm|zz"));
        }
    }

    private static Map<String, String> aggregates(ViewHarness h) {
        Map<String, String> out = new TreeMap<>();
        for (String t : new String[] {"cnt", "mn", "mx", "sm"}) {
            out.putAll(h.table(t));
        }
        return out;
    }

    @ParameterizedTest(name = "changelogs {0}")
    @ValueSource(booleans = {true, false})
    void sumShouldAddNewMinusOldAcrossInsertsOverwritesAndErases(boolean changelogs) {
        try (ViewHarness h = new ViewHarness(changelogs, AGGREGATES)) {
            assertNull(h.table("sm").get("sm|a"), "no key for a group without sources");
            h.put("v|a|1", "10");
            assertEquals("10", h.table("sm").get("sm|a"));
            h.put("v|a|2", "20");
            assertEquals("30", h.table("sm").get("sm|a"));
            h.put("v|a|1", "50");
            assertEquals("70", h.table("sm").get("sm|a"));
            h.put("v|a|3", "30");
            assertEquals("100", h.table("sm").get("sm|a"));
            h.erase("v|a|2");
            assertEquals("80", h.table("sm").get("sm|a"));
            assertNull(h.table("sm").get("sm|b"));
        }
    }

    @ParameterizedTest(name = "changelogs {0}")
    @ValueSource(booleans = {true, false})
    void sumShouldFollowReadModifyWriteChangesOfItsSources(boolean changelogs) {
        try (ViewHarness h = new ViewHarness(changelogs, AGGREGATES)) {
            h.write("v|a|1", Changes.of(Operation.INCR, "5".getBytes(StandardCharsets.UTF_8)));
            h.write("v|a|1", Changes.of(Operation.INCR, "5".getBytes(StandardCharsets.UTF_8)));
            h.put("v|a|2", "7");
            assertEquals("10", h.table("v").get("v|a|1"));
            assertEquals("17", h.table("sm").get("sm|a"), "the view sums the values the increments left");
            h.write("v|a|2", Changes.of(Operation.INCR, "-7".getBytes(StandardCharsets.UTF_8)));
            assertEquals("10", h.table("sm").get("sm|a"));
        }
    }

    @Test
    void countShouldCountInsertsIgnoreOverwritesAndStayAtZero() {
        try (ViewHarness h = new ViewHarness(AGGREGATES)) {
            h.put("v|a|1", "x").put("v|a|2", "y").put("v|b|1", "z");
            assertEquals("2", h.table("cnt").get("cnt|a"));
            assertEquals("1", h.table("cnt").get("cnt|b"));
            h.put("v|a|1", "x2");
            assertEquals("2", h.table("cnt").get("cnt|a"), "an overwrite is not a new match");
            h.erase("v|a|1").erase("v|a|2");
            assertEquals("0", h.table("cnt").get("cnt|a"));
            h.erase("v|a|9");
            assertEquals("0", h.table("cnt").get("cnt|a"), "erasing an absent key changes nothing");
        }
    }

    @Test
    void maxShouldBeRecomputedAfterTheMaximumIsErased() {
        try (ViewHarness h = new ViewHarness(AGGREGATES)) {
            for (int i = 1; i <= 6; i++) {
                h.put("v|a|" + i, "v" + i);
            }
            assertEquals("v6", h.table("mx").get("mx|a"));
            assertEquals("v1", h.table("mn").get("mn|a"));
            h.erase("v|a|6");
            assertEquals("v5", h.table("mx").get("mx|a"));
            h.put("v|a|5", "v0");
            assertEquals("v4", h.table("mx").get("mx|a"), "the maximum overwritten worse is recomputed");
            assertEquals("v0", h.table("mn").get("mn|a"), "a new minimum by overwrite");
            h.erase("v|a|5");
            assertEquals("v1", h.table("mn").get("mn|a"), "the minimum erased is recomputed");
            for (int i = 1; i <= 4; i++) {
                h.erase("v|a|" + i);
            }
            assertNull(h.table("mx").get("mx|a"), "no matches, no key");
            assertNull(h.table("mn").get("mn|a"));
        }
    }

    @Test
    void threeSourceCountShouldFollowValueAndContextSourceChanges() {
        String spec = "k|<author> = count v|<chapter>|<voter> using b|<author>|<book>, c|<book>|<chapter>";
        try (ViewHarness h = new ViewHarness(spec)) {
            h.put("b|alice|book1", "1").put("c|book1|ch1", "1").put("c|book1|ch2", "1");
            h.put("v|ch1|u1", "1").put("v|ch1|u2", "1").put("v|ch2|u1", "1").put("v|ch9|u1", "1");
            assertEquals("3", h.table("k").get("k|alice"));
            h.erase("v|ch1|u2");
            assertEquals("2", h.table("k").get("k|alice"), "value key erased");
            h.erase("c|book1|ch2");
            assertEquals("1", h.table("k").get("k|alice"), "using key erased");
            h.put("c|book1|ch2", "1");
            assertEquals("2", h.table("k").get("k|alice"), "using key inserted");
            h.put("b|bob|book1", "1");
            assertEquals("2", h.table("k").get("k|bob"));
            h.put("v|ch2|u7", "1");
            assertEquals("3", h.table("k").get("k|alice"), "value key inserted");
            assertEquals("3", h.table("k").get("k|bob"));
            h.erase("b|alice|book1");
            assertEquals("0", h.table("k").get("k|alice"));
        }
    }

    @Test
    void slotsWithoutSeparatorsShouldBuildFixedWidthKeys() {
        String spec = "t|<subscriber:5><time:10><poster:5> = copy p|<poster>|<time> using s|<subscriber>|<poster>";
        try (ViewHarness h = new ViewHarness(spec)) {
            h.put("s|aaaaa|bbbbb", "1").put("p|bbbbb|0000000001", "hi").put("p|bbbbbb|0000000002", "wrong width");
            assertEquals(Map.of("t|aaaaa0000000001bbbbb", "hi"), h.table("t"));
        }
    }

    @Test
    void karmaShouldCountVotesByAuthorPrefix() {
        try (ViewHarness h = new ViewHarness("k|<author> = count v|<author><seqid>|<voter> where author:7, seqid:7, voter:7")) {
            h.put("v|AAAAAAA0000001|voter01", "1").put("v|AAAAAAA0000002|voter01", "1").put("v|BBBBBBB0000001|voter02", "1");
            assertEquals(Map.of("k|AAAAAAA", "2", "k|BBBBBBB", "1"), h.table("k"));
        }
    }

    @Test
    void celebrityShouldPushOrdinaryPostsAndPullCelebrityPosts() {
        String spec = TWITTER + "\n\nt|<user>|<time>|<poster> = pull copy ct|<time>|<poster> using filter cs|<user>|<poster>"
                + " where user:8, time:10, poster:8";
        try (ViewHarness h = new ViewHarness(spec)) {
            assertTrue(h.spec().pullJoins().containsKey("t"));
            h.put(s(1, 2), "1").put(p(2, 100), "ordinary");
            h.put(String.format("cs|%08d|%08d", 1, 9), "1").put(String.format("ct|%010d|%08d", 150, 9), "celebrity");
            h.put(String.format("ct|%010d|%08d", 160, 8), "not followed");
            assertEquals(Map.of(t(1, 100, 2), "ordinary"), timeline(h, 1), "pull joins are not materialized");
            Range r = Range.prefix(String.format("t|%08d|", 1));
            assertEquals(Map.of(t(1, 150, 9), "celebrity"), h.pull("t", r));
            h.erase(String.format("cs|%08d|%08d", 1, 9));
            assertTrue(h.pull("t", r).isEmpty(), "unfollow removes celebrity posts");
        }
    }

    @Test
    void tablesShouldApplyReadModifyWriteChangesInLogOrder() {
        try (ViewHarness h = new ViewHarness("", "kv")) {
            h.write("counter", Changes.of(Operation.INCR, "5".getBytes()));
            h.write("counter", Changes.of(Operation.INCR, "-2".getBytes()));
            h.write("name", Changes.of(Operation.APPEND, "ship".getBytes()));
            h.write("name", Changes.of(Operation.PREPEND, "the ".getBytes()));
            h.write("f", Changes.of(Operation.INCRF, "1.25".getBytes()));
            assertEquals(Map.of("counter", "3", "name", "the ship", "f", "1.25"), h.table("kv"));
        }
    }

    @Test
    void badRecordsShouldGoToDeadLettersWithReasonAndProcessingContinue() {
        try (ViewHarness h = new ViewHarness(AGGREGATES)) {
            h.pipeRaw("test.v", "v|a|1".getBytes(), "not avro".getBytes(StandardCharsets.UTF_8));
            h.pipeRaw("test.v", ("v|" + "x".repeat(1100)).getBytes(), null);
            h.write("v|a|2", Changes.of(Operation.INCR, "1".getBytes()));
            h.put("v|a|3", "not a number");
            h.write("v|a|3", Changes.of(Operation.INCR, "1".getBytes()));
            assertEquals("2", h.table("cnt").get("cnt|a"), "good records still processed");
            assertEquals(3, h.deadLetterRecords.size());
            TestRecord<byte[], byte[]> first = h.deadLetterRecords.get(0);
            assertEquals("Record value in topic test.v is not in the Confluent wire format: first byte is 0x6e, expected 0x00",
                    ViewHarness.header(first, DeadLetter.REASON));
            assertEquals("test.v", ViewHarness.header(first, DeadLetter.TOPIC));
            assertEquals("0", ViewHarness.header(first, DeadLetter.OFFSET));
            assertEquals("not avro", new String(first.value(), StandardCharsets.UTF_8), "the original value is kept");
            assertTrue(ViewHarness.header(h.deadLetterRecords.get(1), DeadLetter.REASON).endsWith("is 1102 bytes; the limit is 1024"));
            assertEquals("Invalid value: value is not an integer or out of range (current value 'not a number' at key 'v|a|3')",
                    ViewHarness.header(h.deadLetterRecords.get(2), DeadLetter.REASON));
            assertEquals(3, h.deadLetters.get());
        }
    }
}
