package io.pequod.schemas;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.AlphaChars;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.StringLength;
import org.apache.kafka.common.utils.Utils;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class PartitionRuleTest {
    private static byte[] b(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void shouldUseTableAndFirstField() {
        assertEquals("t|alice", new String(PartitionRule.standard().partitionKey(b("t|alice|1000|bob"))));
        assertEquals("t|alice", new String(PartitionRule.standard().partitionKey(b("t|alice"))));
        assertEquals("plain", new String(PartitionRule.standard().partitionKey(b("plain"))));
    }

    @Test
    void shouldUseFixedWidthForTablesWithoutSeparators() {
        PartitionRule r = PartitionRule.standard().withFixedWidth("t", 5);
        assertEquals("t|00001", new String(r.partitionKey(b("t|000010000000001|00002"))));
        assertEquals("s|alice", new String(r.partitionKey(b("s|alice|bob"))), "other tables keep the standard rule");
    }

    @Test
    void shouldHashPartitionKeyWithKafkaMurmur2() {
        int expected = Utils.toPositive(Utils.murmur2(b("t|alice"))) % 8;
        assertEquals(expected, PartitionRule.standard().partition(b("t|alice|0000000001|bob"), 8));
    }

    @Test
    void shouldRoundTripConfigurationForm() {
        PartitionRule r = PartitionRule.parse("t:5, x:3");
        assertEquals("t:5,x:3", r.format());
        assertEquals(r, PartitionRule.parse(r.format()));
    }

    @Test
    void shouldNameBadFixedWidthEntry() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> PartitionRule.parse("t:five"));
        assertEquals("Invalid fixed width 't:five': expected table:width, e.g. t:5", e.getMessage());
    }

    @Property
    boolean keysWithOnePartitionKeyShareAPartition(@ForAll @AlphaChars @StringLength(min = 1, max = 8) String user,
                                                   @ForAll @StringLength(max = 12) String rest1,
                                                   @ForAll @StringLength(max = 12) String rest2,
                                                   @ForAll @IntRange(min = 1, max = 64) int partitions) {
        PartitionRule r = PartitionRule.standard();
        return r.partition(b("t|" + user + "|" + rest1), partitions) == r.partition(b("t|" + user + "|" + rest2), partitions);
    }
}
