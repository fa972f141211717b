package io.pequod.views;

import io.pequod.schemas.Changes;
import io.pequod.schemas.avro.Change;
import io.pequod.schemas.avro.Operation;
import io.pequod.views.internals.processor.ExpiredKey;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

/**
 * Keys that expire, through the tables application and a count view (TopologyTestDriver): the
 * owner keeps each key's expiry, its wall-clock punctuation turns expired keys into tombstones in
 * the table topic, and the view loses their rows; operations keep, set or drop the expiry as
 * Redis does; an expiry tombstone overtaken by a new write leaves the new key alone.
 */
class ExpiryTopologyTest {
    private static final String SPEC = "n|<user> = count f|<user>|<other> where user:4, other:4";

    private static Change put(String value, Long expireAt) {
        Change c = Changes.of(Operation.PUT, value.getBytes(StandardCharsets.UTF_8));
        c.setExpireAt(expireAt);
        return c;
    }

    private static Change op(Operation op, String value, Long expireAt) {
        Change c = Changes.of(op, value.getBytes(StandardCharsets.UTF_8));
        c.setExpireAt(expireAt);
        return c;
    }

    @Test
    void shouldEraseExpiredKeysWithTombstonesThatTheViewsFollow() {
        long now = System.currentTimeMillis();
        try (ViewHarness h = new ViewHarness(SPEC)) {
            h.write("f|0001|0002", put("1", now + 60_000));
            h.put("f|0001|0003", "1");
            assertEquals("2", h.table("n").get("n|0001"));
            assertEquals(now + 60_000, h.expiry("f", "f|0001|0002"));
            h.advanceWallClock(Duration.ofSeconds(30));
            assertEquals("1", h.table("f").get("f|0001|0002"), "not due yet");
            h.advanceWallClock(Duration.ofSeconds(31));
            assertNull(h.table("f").get("f|0001|0002"), "erased by the owner's tombstone");
            assertNull(h.expiry("f", "f|0001|0002"));
            assertEquals("1", h.table("n").get("n|0001"), "the view lost the expired row");
            assertEquals("1", h.table("f").get("f|0001|0003"), "a key without expiry stays");
        }
    }

    @Test
    void shouldKeepEachKeysCreationTimeUntilItIsGone() {
        long t = 1_700_000_000_000L;
        try (ViewHarness h = new ViewHarness(SPEC, "kv")) {
            h.writeAt("a", put("1", null), t);
            assertEquals(t, h.creationTime("kv", "a"));
            h.writeAt("a", put("2", null), t + 1000);
            h.writeAt("a", Changes.of(Operation.INCR, "5".getBytes(StandardCharsets.UTF_8)), t + 2000);
            h.writeAt("a", put("3", t + 60_000), t + 3000);
            assertEquals(t, h.creationTime("kv", "a"), "writes to a present key keep its creation time");
            h.writeAt("a", null, t + 4000);
            assertNull(h.creationTime("kv", "a"), "gone with the key");
            h.writeAt("a", Changes.of(Operation.INCR, "1".getBytes(StandardCharsets.UTF_8)), t + 5000);
            assertEquals(t + 5000, h.creationTime("kv", "a"), "an increment of an absent key creates it");
            h.writeAt("b", put("x", t + 6500), t + 6000);
            h.writeAt("b", Changes.of(Operation.APPEND, "y".getBytes(StandardCharsets.UTF_8)), t + 7000);
            assertEquals("y", h.table("kv").get("b"), "expired before the append: a new key");
            assertEquals(t + 7000, h.creationTime("kv", "b"));
        }
    }

    @Test
    void shouldKeepSetOrDropTheExpiryAsRedis() {
        long later = System.currentTimeMillis() + 3_600_000;
        try (ViewHarness h = new ViewHarness(SPEC, "kv")) {
            h.write("c", put("1", later));
            h.write("c", Changes.of(Operation.INCR, "2".getBytes(StandardCharsets.UTF_8)));
            assertEquals("3", h.table("kv").get("c"));
            assertEquals(later, h.expiry("kv", "c"), "INCR keeps the expiry");
            h.write("c", op(Operation.EXPIRE, "GT", later - 1000));
            assertEquals(later, h.expiry("kv", "c"), "GT refuses an earlier expiry");
            h.write("c", op(Operation.EXPIRE, "LT", later - 1000));
            assertEquals(later - 1000, h.expiry("kv", "c"));
            h.write("c", op(Operation.PERSIST, "", null));
            assertNull(h.expiry("kv", "c"));
            h.write("c", put("4", later));
            h.write("c", put("5", null));
            assertNull(h.expiry("kv", "c"), "a SET without options drops the expiry");
            Change keep = put("6", null);
            h.write("c", put("5", later));
            keep.setKeepTtl(true);
            h.write("c", keep);
            assertEquals(later, h.expiry("kv", "c"), "KEEPTTL");
            h.write("c", op(Operation.EXPIRE, "", 0L)); // the harness's records are written at time 0
            assertNull(h.table("kv").get("c"), "an expiry at or before the change's time erases the key");
        }
    }

    @Test
    void shouldTreatAKeyAsAbsentForAChangeWrittenAfterItsExpiry() {
        try (ViewHarness h = new ViewHarness(SPEC, "kv")) {
            h.writeAt("c", put("41", 1_000L), 500L);
            h.writeAt("c", Changes.of(Operation.INCR, "1".getBytes(StandardCharsets.UTF_8)), 999L);
            assertEquals("42", h.table("kv").get("c"), "written before the expiry: the key is there");
            h.writeAt("c", Changes.of(Operation.INCR, "1".getBytes(StandardCharsets.UTF_8)), 1_000L);
            assertEquals("1", h.table("kv").get("c"), "written at the expiry: the key was gone, INCR starts from 0");
            assertNull(h.expiry("kv", "c"), "the new key has no expiry");
            h.writeAt("d", put("x", 2_000L), 1_500L);
            h.writeAt("d", Changes.of(Operation.SETRANGE, "9:y".getBytes(StandardCharsets.UTF_8)), 2_500L);
            assertEquals("\0".repeat(9) + "y", h.table("kv").get("d"));
        }
    }

    @Test
    void shouldLeaveANewKeyAloneWhenAnOldExpiryTombstoneArrivesAfterIt() {
        long later = System.currentTimeMillis() + 3_600_000;
        try (ViewHarness h = new ViewHarness(SPEC)) {
            h.write("f|0001|0002", put("1", later));
            h.put("f|0001|0002", "again"); // written again before the owner's tombstone for 'later' arrives
            RecordHeaders stale = new RecordHeaders();
            stale.add(ExpiredKey.HEADER, Long.toString(later).getBytes(StandardCharsets.US_ASCII));
            h.pipeRaw("pequod.f", "f|0001|0002".getBytes(StandardCharsets.UTF_8), null, stale);
            assertEquals("again", h.table("f").get("f|0001|0002"));
            assertEquals("1", h.table("n").get("n|0001"));
        }
    }
}
