package io.pequod.ingest;

import io.pequod.schemas.InvalidKeyException;
import io.pequod.schemas.InvalidValueException;
import io.pequod.schemas.Key;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** Input validation happens before anything is sent, so no broker is needed. */
class ChangeWriterValidationTest {
    private ChangeWriter writer;

    @BeforeEach
    void open() {
        writer = ChangeWriter.builder().bootstrapServers("127.0.0.1:1").schemaRegistryUrl("http://127.0.0.1:1")
                .readOnlyTables(Set.of("t")).build();
    }

    @AfterEach
    void close() {
        writer.close();
    }

    @Test
    void shouldRejectOversizedKeyNamingIt() {
        InvalidKeyException e = assertThrows(InvalidKeyException.class, () -> writer.put("p|" + "k".repeat(2000), "v"));
        assertEquals("Invalid key: key 'p|" + "k".repeat(58) + "...' is 2002 bytes; the limit is 1024", e.getMessage());
    }

    @Test
    void shouldRejectKeyWithoutTableName() {
        InvalidKeyException e = assertThrows(InvalidKeyException.class, () -> writer.erase("|x|y"));
        assertEquals("Invalid key: key '|x|y' has an empty table name; write table|field..., or a key without '|' for table kv",
                e.getMessage());
    }

    @Test
    void shouldRejectWritesToViewTables() {
        InvalidKeyException e = assertThrows(InvalidKeyException.class, () -> writer.put("t|1|2|3", "v"));
        assertEquals("Invalid key: key 't|1|2|3' is in view table 't', which only its joins write; write to the view's source tables instead",
                e.getMessage());
    }

    @Test
    void shouldRejectOversizedValue() {
        InvalidValueException e = assertThrows(InvalidValueException.class, () -> writer.put("p|1", "x".repeat(Key.MAX_VALUE_LENGTH + 1)));
        assertEquals("Invalid value: value for key 'p|1' is 67108865 bytes; the limit is 67108864", e.getMessage());
    }

    @Test
    void shouldRejectNonNumericIncrement() {
        InvalidValueException e = assertThrows(InvalidValueException.class, () -> writer.incrementFloat("kv|c", "abc"));
        assertEquals("Invalid value: increment 'abc' for key 'kv|c' is not a number", e.getMessage());
    }

    @Test
    void shouldRejectReservedTableName() {
        InvalidKeyException e = assertThrows(InvalidKeyException.class, () -> writer.put("dead-letters|x", "v"));
        assertEquals("Invalid key: key 'dead-letters|x' uses reserved table name 'dead-letters'", e.getMessage());
    }

    @Test
    void shouldNameMissingBuilderSettings() {
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> ChangeWriter.builder().build());
        assertEquals("ChangeWriter needs bootstrapServers schemaRegistryUrl", e.getMessage());
    }
}
