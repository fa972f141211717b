package io.pequod.schemas;

import io.pequod.schemas.avro.Operation;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class ChangesTest {
    private static final byte[] K = "kv|k".getBytes(StandardCharsets.UTF_8);

    private static String apply(String current, Operation op, String v) {
        byte[] cur = current == null ? null : current.getBytes(StandardCharsets.UTF_8);
        return new String(Changes.apply(K, cur, Changes.of(op, v.getBytes(StandardCharsets.UTF_8))), StandardCharsets.UTF_8);
    }

    @Test
    void shouldApplyEachOperation() {
        assertEquals("new", apply("old", Operation.PUT, "new"));
        assertEquals("5", apply(null, Operation.INCR, "5"));
        assertEquals("-3", apply("2", Operation.INCR, "-5"));
        assertEquals("2.5", apply("1", Operation.INCRF, "1.5"));
        assertEquals("3", apply("1.5", Operation.INCRF, "1.5"));
        assertEquals("abcd", apply("ab", Operation.APPEND, "cd"));
        assertEquals("cdab", apply("ab", Operation.PREPEND, "cd"));
        assertEquals("x", apply(null, Operation.APPEND, "x"));
    }

    @Test
    void shouldNameKeyWhenIncrementingNonNumber() {
        InvalidValueException e = assertThrows(InvalidValueException.class, () -> apply("abc", Operation.INCR, "1"));
        assertEquals("Invalid value: current value 'abc' at key 'kv|k' is not an integer or out of range", e.getMessage());
    }

    @Test
    void shouldRefuseOverflow() {
        assertThrows(InvalidValueException.class, () -> apply(Long.toString(Long.MAX_VALUE), Operation.INCR, "1"));
    }

    @Test
    void shouldParseAndFormatWriteTokens() {
        WritePosition p = new WritePosition("pequod.t", 3, 42);
        assertEquals("pequod.t:3:42", p.token());
        assertEquals(p, WritePosition.parse("pequod.t:3:42"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> WritePosition.parse("x:y"));
        assertEquals("Invalid write token 'x:y': expected topic:partition:offset", e.getMessage());
    }
}
