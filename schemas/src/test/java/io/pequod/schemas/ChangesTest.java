package io.pequod.schemas;

import io.pequod.schemas.avro.Operation;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

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
        assertEquals("Invalid value: value is not an integer or out of range (current value 'abc' at key 'kv|k')", e.getMessage());
    }

    private static String answer(String current, Operation op, String v) {
        byte[] cur = current == null ? null : current.getBytes(StandardCharsets.UTF_8);
        var c = Changes.of(op, v.getBytes(StandardCharsets.UTF_8));
        byte[] a = Changes.answer(c, cur, Changes.apply(K, cur, c));
        return a == null ? null : new String(a, StandardCharsets.UTF_8);
    }

    @Test
    void shouldApplyConditionalWritesAndAnswerTheOldValue() {
        assertEquals("new", apply(null, Operation.PUT_NX, "new"));
        assertEquals("old", apply("old", Operation.PUT_NX, "new"));
        assertEquals("new", apply("old", Operation.PUT_XX, "new"));
        assertNull(Changes.apply(K, null, Changes.of(Operation.PUT_XX, new byte[] {'x'})), "XX leaves an absent key absent");
        assertNull(Changes.apply(K, new byte[] {'x'}, Changes.of(Operation.ERASE_GET, new byte[0])));
        assertEquals("old", answer("old", Operation.PUT_NX, "new"));
        assertNull(answer(null, Operation.PUT_NX, "new"));
        assertEquals("old", answer("old", Operation.PUT_GET, "new"));
        assertEquals("old", answer("old", Operation.ERASE_GET, ""));
        assertEquals("3", answer("1", Operation.INCR, "2"), "others answer the new value");
    }

    @Test
    void shouldWriteRangesAndBitsAsRedis() {
        assertEquals("\0\0abc", apply(null, Operation.SETRANGE, "2:abc"));
        assertEquals("hexlo", apply("hello", Operation.SETRANGE, "2:x"));
        assertEquals("hello", apply("hello", Operation.SETRANGE, "5:"), "nothing to write");
        assertEquals("@", apply(null, Operation.SETBIT, "1:1"));
        assertEquals("A", apply("C", Operation.SETBIT, "6:0"));
        assertEquals("0", answer(null, Operation.SETBIT, "9:1"));
        assertEquals("1", answer("@", Operation.SETBIT, "1:0"));
        assertThrows(InvalidValueException.class, () -> apply("x", Operation.SETRANGE, Long.MAX_VALUE + ":A"));
        assertThrows(InvalidValueException.class, () -> apply("x", Operation.SETRANGE, "-1:A"));
        assertThrows(InvalidValueException.class, () -> apply("x", Operation.SETRANGE, "1A"));
    }

    @Test
    void shouldParseNumbersAsRedis() {
        for (String bad : new String[] {" 11", "11 ", "+1", "01", "-0", "", "-", "1.0", "9223372036854775808", "-9223372036854775809"}) {
            assertNull(Numbers.parseLong(bad.getBytes(StandardCharsets.US_ASCII)), bad);
        }
        assertEquals(0L, Numbers.parseLong("0".getBytes(StandardCharsets.US_ASCII)));
        assertEquals(Long.MAX_VALUE, Numbers.parseLong("9223372036854775807".getBytes(StandardCharsets.US_ASCII)));
        assertEquals(Long.MIN_VALUE, Numbers.parseLong("-9223372036854775808".getBytes(StandardCharsets.US_ASCII)));
        assertNull(Numbers.parseDecimal(" 1.5".getBytes(StandardCharsets.US_ASCII)));
        assertNull(Numbers.parseDecimal("1\0".getBytes(StandardCharsets.US_ASCII)));
        assertNull(Numbers.parseDecimal("nan".getBytes(StandardCharsets.US_ASCII)));
        assertEquals("150", Numbers.parseDecimal("1.5e2".getBytes(StandardCharsets.US_ASCII)).toPlainString());
        assertTrue(Numbers.isInfinity("+inf".getBytes(StandardCharsets.US_ASCII)));
        assertTrue(Numbers.isInfinity("-Infinity".getBytes(StandardCharsets.US_ASCII)));
        assertThrows(InvalidValueException.class, () -> apply(" 11", Operation.INCR, "1"));
        assertThrows(InvalidValueException.class, () -> apply("1 ", Operation.INCRF, "1"));
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
