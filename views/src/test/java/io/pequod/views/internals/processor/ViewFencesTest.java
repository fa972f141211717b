package io.pequod.views.internals.processor;

import org.apache.kafka.common.header.internals.RecordHeaders;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertEquals;

class ViewFencesTest {
    private static RecordHeaders generation(int g) {
        RecordHeaders h = new RecordHeaders();
        ViewFences.stamp(h, g);
        return h;
    }

    private static byte[] key(String k) {
        return k.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void aMarkerStartsAGenerationThenRowsOfOlderOnesAreDropped() {
        ViewFences.Cursor c = new ViewFences.Cursor(0);
        assertEquals(ViewFences.Step.APPLY, c.step(key("t|1"), generation(0)));
        assertEquals(ViewFences.Step.APPLY, c.step(key("t|1"), new RecordHeaders()), "rows of earlier versions have no header");
        assertEquals(ViewFences.Step.NEW_GENERATION, c.step(ViewFences.markerKey(), generation(1)));
        assertEquals(ViewFences.Step.DROP, c.step(ViewFences.markerKey(), generation(1)), "a marker read again");
        assertEquals(ViewFences.Step.DROP, c.step(key("t|2"), generation(0)), "the old copy, still writing");
        assertEquals(ViewFences.Step.APPLY, c.step(key("t|2"), generation(1)));
        assertEquals(ViewFences.Step.APPLY, c.step(key("t|2"), new RecordHeaders()), "the clear's tombstones");
    }

    @Test
    void aCursorStartingAtTheRecordedGenerationDropsWhatCameBeforeItsMarker() {
        ViewFences.Cursor c = new ViewFences.Cursor(2);
        assertEquals(ViewFences.Step.DROP, c.step(key("t|1"), generation(1)));
        assertEquals(ViewFences.Step.DROP, c.step(ViewFences.markerKey(), generation(2)), "replayed from before it");
        assertEquals(ViewFences.Step.APPLY, c.step(key("t|1"), generation(2)));
    }

    @Test
    void gatesCloseAndGenerationsOnlyGrow() {
        ViewFences f = new ViewFences();
        assertEquals(-1, f.generation("t"));
        f.generation("t", 3);
        f.generation("t", 1);
        assertEquals(3, f.generation("t"));
        f.close("t");
        assertEquals(false, f.isOpen("t"));
        assertEquals(true, f.isOpen("n"));
    }
}
