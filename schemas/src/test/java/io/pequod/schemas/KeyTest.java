package io.pequod.schemas;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class KeyTest {
    @Test
    void shouldTakeTableFromTextBeforeFirstSeparator() {
        assertEquals("t", Key.of("t|00000001|1000000000").table());
        assertEquals("kv", Key.of("plainkey").table());
    }

    @Test
    void shouldOrderBytewiseUnsigned() {
        assertTrue(Key.of("t|a").compareTo(Key.of("t|b")) < 0);
        assertTrue(Key.of("t|z").compareTo(Key.of(new byte[] {'t', '|', (byte) 0xC3})) < 0, "0xC3 sorts after 'z' unsigned");
        assertEquals(0, Key.of("t|a").compareTo(Key.of("t|a")));
    }

    @Test
    void shouldRejectOversizedKeyNamingIt() {
        String big = "t|" + "x".repeat(1100);
        InvalidKeyException e = assertThrows(InvalidKeyException.class, () -> Key.of(big));
        assertTrue(e.getMessage().startsWith("Invalid key: key 't|xxxx"), e.getMessage());
        assertTrue(e.getMessage().endsWith("is 1102 bytes; the limit is 1024"), e.getMessage());
    }

    @Test
    void shouldRejectEmptyTableName() {
        InvalidKeyException e = assertThrows(InvalidKeyException.class, () -> Key.of("|abc"));
        assertEquals("Invalid key: key '|abc' has an empty table name; write table|field..., or a key without '|' for table kv",
                e.getMessage());
    }

    @Test
    void shouldRejectTableNameWithIllegalCharacters() {
        InvalidKeyException e = assertThrows(InvalidKeyException.class, () -> Key.of("a.b|c"));
        assertEquals("Invalid key: key 'a.b|c' has table name 'a.b'; table names are 1 to 100 of [A-Za-z0-9_-]", e.getMessage());
    }

    @Test
    void shouldAcceptMaximumLengthKey() {
        assertNull(Key.validate(("t|" + "x".repeat(1022)).getBytes(StandardCharsets.UTF_8)));
    }

    @Test
    void shouldRejectEmptyKey() {
        assertThrows(InvalidKeyException.class, () -> Key.of(""));
    }
}
