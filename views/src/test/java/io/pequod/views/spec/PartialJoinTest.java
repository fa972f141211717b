package io.pequod.views.spec;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The {@code partial} keyword: what it accepts, what it refuses (with file:line:column), and how a view is cut into ranges. */
class PartialJoinTest {
    private static final String TIMELINE =
            "t|<user>|<time>|<poster> = partial copy p|<poster>|<time> using s|<user>|<poster> where user:8, time:10, poster:8";

    private static String error(String text) {
        return assertThrows(JoinSpecException.class, () -> JoinSpecParser.parse("p.pq", text)).getMessage();
    }

    private static byte[] b(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void aPartialTimelineIsCutIntoOneRangePerUserDrivenByTheSubscriptions() {
        Join j = JoinSpecParser.parse("p.pq", TIMELINE).joins().get(0);
        assertTrue(j.partial());
        assertFalse(j.pull());
        PartialRange r = PartialRange.of(j);
        assertEquals("t", r.view());
        assertEquals("user", r.slot());
        assertEquals("s", r.table());
        assertEquals(1, r.driving());
        assertArrayEquals(b("t|00000001|"), r.viewPrefix(b("00000001")));
        assertArrayEquals(b("s|00000001|"), r.drivingPrefix(b("00000001")));
        assertArrayEquals(b("00000001"), r.valueOfDriving(b("s|00000001|00000002")));
        assertNull(r.valueOfDriving(b("s|0001|00000002")), "a key of another width is not a range's");
        assertArrayEquals(b("00000001"), r.valueOfRead(b("t|00000001|"), b("t|00000001}")));
        assertArrayEquals(b("00000001"), r.valueOfRead(b("t|00000001|0000000005"), b("t|00000001|0000000009")));
        assertArrayEquals(b("00000001"), r.valueOfRead(b("t|00000001|0000000005|00000002"), null), "a get");
        assertNull(r.valueOfRead(b("t|"), b("t}")), "the whole view spans every range");
        assertNull(r.valueOfRead(b("t|00000001|"), b("t|00000002}")), "two users' timelines");
        assertNull(r.valueOfRead(b("t|00000001"), b("t|00000001}")), "a first key before the range");
        // the text keeps the keyword, so the join recorded for a tables application is partial again
        assertTrue(JoinSpecParser.parse("again.pq", j.text()).joins().get(0).partial());
    }

    @Test
    void whatAPartialJoinCannotBeIsRefusedWithItsPosition() {
        assertEquals("Invalid join spec p.pq:1:1: join is marked both pull and partial; a pull join is computed at every read, a partial"
                + " one materialized at the first read of a range; choose one", error("t|<u>|<x> = pull partial copy s|<u>|<x>"));
        assertTrue(error("c|<u>|<x> = partial count s|<u>|<x>|<y>").contains("p.pq:1:1: partial views support only copy, not count"),
                error("c|<u>|<x> = partial count s|<u>|<x>|<y>"));
        assertTrue(error("t|<u>|<x> = partial copy s|<u>|<x>|<y>").contains("must appear in its sink"));
        assertTrue(error("t|<x>|<u> = partial copy s|<u>|<x>").contains("needs a source that starts with its range slot <x>"));
        assertTrue(error("t|<u> = partial copy s|<u>").contains("p.pq:1:1: a partial view's sink must start with a slot between separators"));
        assertTrue(error("t|<u>|<x> = partial copy s|<u>|<x>\nv|<u>|<x> = copy t|<u>|<x>")
                .contains("p.pq:2:18: view t is partial (materialized only for the ranges read); no join can read it"));
        assertTrue(error("t|<u>|<x> = partial copy s|<u>|<x>\nt|<u>|<x> = copy r|<u>|<x>")
                .contains("p.pq:2:1: view t is partial (p.pq:1:1); a partial view has exactly one join"));
    }
}
