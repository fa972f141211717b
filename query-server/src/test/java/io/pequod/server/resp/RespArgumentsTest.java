package io.pequod.server.resp;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Glob patterns, SCAN cursors and GETRANGE's bounds, as Redis has them. */
class RespArgumentsTest {
    private static byte[] b(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static boolean glob(String p, String s) {
        return Glob.matches(b(p), b(s), false);
    }

    @Test
    void shouldMatchGlobsAsRedis() {
        assertTrue(glob("*", "") && glob("*", "anything"));
        assertTrue(glob("h?llo", "hello") && !glob("h?llo", "hllo"));
        assertTrue(glob("h[ae]llo", "hallo") && !glob("h[ae]llo", "hillo"));
        assertTrue(glob("h[^e]llo", "hallo") && !glob("h[^e]llo", "hello"));
        assertTrue(glob("h[a-b]llo", "hbllo") && !glob("h[a-b]llo", "hcllo"));
        assertTrue(glob("a\\*b", "a*b") && !glob("a\\*b", "axb"));
        assertTrue(glob("*o*o*", "foo bar boo") && !glob("*o*o*x", "foo bar boo"));
        assertTrue(Glob.matches(b("DATA*"), b("databases"), true));
        assertFalse(glob("a*", "ba"));
        assertTrue(glob("*a*b", "xxaxxb") && !glob("*a*b", "xxaxxbx") && glob("a*", "a"));
    }

    @Test
    @Timeout(10) // trying every split for every star would not end
    void shouldMatchManyStarsWithoutExponentialBacktracking() {
        assertFalse(glob("a*".repeat(30) + "b", "a".repeat(60)));
        assertTrue(glob("a*".repeat(30), "a".repeat(60)));
    }

    @Test
    void shouldRoundTripCursorsThroughKeys() {
        for (String k : new String[] {"a", "ks:17", "t|\u00e9|x", "\u0000zero"}) {
            String c = KeyspaceCommands.cursor(b(k));
            assertTrue(c.matches("[1-9][0-9]*"), c);
            assertArrayEquals(b(k), KeyspaceCommands.cursorKey(b(c)));
        }
        assertNull(KeyspaceCommands.cursorKey(b("0")));
        assertThrows(IllegalArgumentException.class, () -> KeyspaceCommands.cursorKey(b("12x")));
        assertThrows(IllegalArgumentException.class, () -> KeyspaceCommands.cursorKey(b("5")));
    }

    @Test
    void shouldCutRangesAsGetrange() {
        byte[] v = b("This is a string");
        assertEquals("This", new String(StringCommands.range(v, 0, 3), StandardCharsets.UTF_8));
        assertEquals("ing", new String(StringCommands.range(v, -3, -1), StandardCharsets.UTF_8));
        assertEquals("This is a string", new String(StringCommands.range(v, 0, -1), StandardCharsets.UTF_8));
        assertEquals("string", new String(StringCommands.range(v, 10, 100), StandardCharsets.UTF_8));
        assertEquals("T", new String(StringCommands.range(v, 0, -100), StandardCharsets.UTF_8));
        assertEquals(0, StringCommands.range(v, -1, -5).length);
        assertEquals(0, StringCommands.range(new byte[0], 0, -1).length);
    }
}
