package io.pequod.schemas;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.Size;
import org.junit.jupiter.api.Test;

import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class RangeTest {
    @Test
    void shouldEndPrefixRangeWithCurlyBraceAfterSeparator() {
        assertEquals(Range.of("t|alice|", "t|alice}"), Range.prefix("t|alice|"));
    }

    @Test
    void shouldBeHalfOpen() {
        Range r = Range.of("a", "c");
        assertTrue(r.contains("a".getBytes()));
        assertTrue(r.contains("bzzz".getBytes()));
        assertFalse(r.contains("c".getBytes()));
    }

    @Test
    void shouldCarryPastTrailing0xFF() {
        Range r = Range.prefix(new byte[] {'a', (byte) 0xFF});
        assertEquals("b", new String(r.last()));
    }

    @Test
    void shouldRejectBackwardRange() {
        InvalidKeyException e = assertThrows(InvalidKeyException.class, () -> Range.of("b", "a"));
        assertEquals("Invalid key: range [b, a) ends before it starts; last must not sort before first", e.getMessage());
    }

    @Property
    boolean prefixRangeContainsExactlyKeysWithThatPrefix(@ForAll @Size(min = 1, max = 4) byte[] prefix,
                                                         @ForAll @Size(max = 6) byte[] key) {
        boolean allFF = true;
        for (byte b : prefix) {
            allFF &= b == (byte) 0xFF;
        }
        if (allFF) {
            return true;
        }
        boolean startsWith = key.length >= prefix.length && Arrays.equals(key, 0, prefix.length, prefix, 0, prefix.length);
        return Range.prefix(prefix).contains(key) == startsWith;
    }
}
