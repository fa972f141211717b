package io.pequod.embedded;

import org.junit.jupiter.api.Test;

import java.util.HashSet;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertTrue;

class PortsTest {
    @Test
    void freePortsAreBindableDistinctAndBelowTheEphemeralRangeWhereItIsKnown() {
        int[] range = Ports.belowEphemeralRange();
        Set<Integer> seen = new HashSet<>();
        for (int i = 0; i < 50; i++) {
            int p = Ports.free();
            assertTrue(seen.add(p), "never handed out twice: " + p);
            assertTrue(Ports.isFree(p), "free: " + p);
            if (range != null) {
                assertTrue(p >= range[0] && p < range[1], p + " outside [" + range[0] + ", " + range[1] + ")");
            }
        }
    }
}
