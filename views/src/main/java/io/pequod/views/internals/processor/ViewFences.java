package io.pequod.views.internals.processor;

import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * What keeps an old generation of a view from writing into its new one when both may run for a
 * while: the view computed inside a tables application (which cannot stop computing it without
 * every instance restarting) while a new generation, in an application of its own, takes over.
 *
 * <ul>
 *   <li>Every row a view's joins write carries the header {@value #GENERATION}.</li>
 *   <li>A new generation starts with a <em>marker</em> in every partition of the view's topic: a
 *       tombstone of the key {@value #MARKER_KEY} (no table key starts with '|') whose header names
 *       the generation, followed by tombstones of every earlier row. The view's materializer, live
 *       or restoring, drops rows of an older generation after the marker: the topic's order
 *       decides, so every instance and every replay agree.</li>
 *   <li>An instance closes its gate for a view whose generation moved elsewhere: its copy inside
 *       the tables application stops writing rows at all (within the 10 s other instances take
 *       to look; the markers keep the stores exact meanwhile).</li>
 * </ul>
 */
public final class ViewFences {
    /** Header of a view row: the generation that wrote it (decimal). */
    public static final String GENERATION = "pequod.generation";
    /** Key of a generation marker in a view topic. */
    public static final String MARKER_KEY = "|generation";
    private static final byte[] MARKER = MARKER_KEY.getBytes(StandardCharsets.UTF_8);

    /** Told of each partial view's back-fill marker that a materializer reads, live or restoring. */
    public interface FillListener {
        /** @param view the view @param mark the marker */
        void filled(String view, FillMark mark);
    }

    private final Set<String> closed = ConcurrentHashMap.newKeySet();
    private final Map<String, Integer> generations = new ConcurrentHashMap<>();
    private volatile FillListener fills = (v, m) -> { };

    /** @param l told of the back-fill markers the views' materializers read */
    public void fillsTo(FillListener l) {
        this.fills = l;
    }

    /** @param view a view @return a cursor for its materializer, starting at the generation in force here */
    public Cursor cursor(String view) {
        return new Cursor(generation(view), view, this);
    }

    /** @param view a view @param generation its generation in force here */
    public void generation(String view, int generation) {
        generations.merge(view, generation, Math::max);
    }

    /** @return a view's generation in force here, or -1 if not known (every row is taken until a marker) */
    public int generation(String view) {
        return generations.getOrDefault(view, -1);
    }

    /** @param view a view whose rows this instance's tables application must no longer write */
    public void close(String view) {
        closed.add(view);
    }

    /** @param view a view computed inside a tables application again */
    public void open(String view) {
        closed.remove(view);
    }

    /** @return whether this instance's tables application writes the view's rows */
    public boolean isOpen(String view) {
        return !closed.contains(view);
    }

    /** @return whether a view topic's key is a generation marker */
    public static boolean isMarker(byte[] key) {
        return Arrays.equals(MARKER, key);
    }

    /** @return the key of a generation marker */
    public static byte[] markerKey() {
        return MARKER.clone();
    }

    /** @return the generation a row or marker names, or -1 if none */
    public static int generationOf(Headers headers) {
        Header h = headers.lastHeader(GENERATION);
        if (h == null || h.value() == null) {
            return -1;
        }
        try {
            return Integer.parseInt(new String(h.value(), StandardCharsets.US_ASCII));
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    /** Sets a record's {@value #GENERATION} header, replacing any. */
    public static void stamp(Headers headers, int generation) {
        headers.remove(GENERATION);
        headers.add(GENERATION, Integer.toString(generation).getBytes(StandardCharsets.US_ASCII));
    }

    /**
     * One partition's place in a view topic, as its materializer reads it in order.
     */
    public static final class Cursor {
        private int current;
        private final String view;
        private final ViewFences fences;

        /** @param start the generation in force when reading starts (-1: unknown) */
        public Cursor(int start) {
            this(start, null, null);
        }

        Cursor(int start, String view, ViewFences fences) {
            this.current = start;
            this.view = view;
            this.fences = fences;
        }

        /**
         * @param key     a record's key
         * @param headers its headers
         * @return what to do with it
         */
        public Step step(byte[] key, Headers headers) {
            if (FillMark.isMarker(key)) {
                FillMark m = FillMark.fromTopic(key, headers);
                if (m != null && fences != null) {
                    fences.fills.filled(view, m);
                }
                return Step.FILL_MARK;
            }
            int g = generationOf(headers);
            if (isMarker(key)) {
                if (g > current) {
                    current = g;
                    return Step.NEW_GENERATION;
                }
                return Step.DROP;
            }
            return g >= 0 && g < current ? Step.DROP : Step.APPLY;
        }
    }

    /** What a materializer does with a view topic's record. */
    public enum Step {
        /** apply it as usual */
        APPLY,
        /** skip it: a marker already passed, or a row of an older generation */
        DROP,
        /** a new generation's marker: rows of older generations are dropped from here on */
        NEW_GENERATION,
        /** a partial view's back-fill marker, reported to the engine ({@link FillMark}) and not stored */
        FILL_MARK
    }
}
