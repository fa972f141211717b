package io.pequod.views.progress;

import org.junit.jupiter.api.Test;

import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;

class TableStatisticsTest {
    @Test
    void theRecentLatenciesAreThoseOfTheLastTenSecondsWhileTheTotalKeepsEverything() {
        AtomicLong now = new AtomicLong(1_000_000);
        TableStatistics s = new TableStatistics(now::get);
        s.visible("ns.t", now.get() - 500, null); // 500 ms to be visible
        s.visible("ns.t", now.get() - 500, null);
        assertEquals(2, s.tableStats().get("ns.t").recentLatency().getTotalCount());

        now.addAndGet(4_000);
        s.visible("ns.t", now.get() - 20, null);
        TableStatistics.TableStats st = s.tableStats().get("ns.t");
        assertEquals(3, st.recentLatency().getTotalCount(), "all within 10 s");
        assertEquals(3, st.visibleLatency().getTotalCount());

        now.addAndGet(8_000); // the slow pair was applied 12 s ago, the next 8 s ago
        s.visible("ns.t", now.get() - 30, null);
        st = s.tableStats().get("ns.t");
        assertEquals(2, st.recentLatency().getTotalCount(), "the slow pair fell out of the window");
        assertEquals(30, st.recentLatency().getMaxValue(), 1);
        assertEquals(4, st.visibleLatency().getTotalCount(), "the total keeps them");
        assertEquals(500, st.visibleLatency().getMaxValue(), 5);

        now.addAndGet(20_000);
        assertEquals(0, s.tableStats().get("ns.t").recentLatency().getTotalCount(), "nothing applied in the last 10 s");
        now.addAndGet(10_000); // a slot used 30 s ago is reused: it starts empty
        s.visible("ns.t", now.get() - 7, null);
        assertEquals(1, s.tableStats().get("ns.t").recentLatency().getTotalCount());
    }
}
