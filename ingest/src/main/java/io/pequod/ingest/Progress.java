package io.pequod.ingest;

import java.io.PrintStream;
import java.util.Locale;

/**
 * A one-line progress bar on a terminal stream (stderr by convention), redrawn at most every
 * 200 ms: done/total, percentage, rate and time. Silent when disabled (e.g. not a terminal).
 * Not thread-safe: one thread reports progress.
 */
public final class Progress {
    private static final long REDRAW_NANOS = 200_000_000L;
    private static final int WIDTH = 30;

    private final PrintStream out;
    private final String label;
    private final String unit;
    private final long total;
    private final boolean enabled;
    private final long start = System.nanoTime();
    private long lastDraw;

    /**
     * @param out     where to draw (stderr)
     * @param label   what is in progress, e.g. {@code load}
     * @param unit    what is counted, e.g. {@code records}
     * @param total   the expected total (0 when unknown: no bar, only counts)
     * @param enabled whether to draw at all
     */
    public Progress(PrintStream out, String label, String unit, long total, boolean enabled) {
        this.out = out;
        this.label = label;
        this.unit = unit;
        this.total = total;
        this.enabled = enabled;
    }

    /** @return whether the console looks interactive, so that a redrawn line is welcome */
    public static boolean interactive() {
        return System.console() != null || "1".equals(System.getenv("PEQUOD_PROGRESS"));
    }

    /**
     * @param done how much is done, in the bar's units of {@code total} (bytes, records...)
     * @param count records so far, shown with the rate
     */
    public void update(long done, long count) {
        if (!enabled) {
            return;
        }
        long now = System.nanoTime();
        if (now - lastDraw < REDRAW_NANOS) {
            return;
        }
        lastDraw = now;
        draw(done, count, false);
    }

    /**
     * Draws the final state and ends the line.
     *
     * @param done  final amount done
     * @param count final record count
     */
    public void finish(long done, long count) {
        if (enabled) {
            draw(done, count, true);
        }
    }

    private void draw(long done, long count, boolean last) {
        double secs = (System.nanoTime() - start) / 1e9;
        double rate = secs > 0 ? count / secs : 0;
        StringBuilder sb = new StringBuilder("\r").append(label).append(' ');
        if (total > 0) {
            double frac = Math.min(1.0, (double) done / total);
            int filled = (int) Math.round(frac * WIDTH);
            sb.append('[').append("#".repeat(filled)).append(" ".repeat(WIDTH - filled)).append("] ")
                    .append(String.format(Locale.ROOT, "%5.1f%% ", frac * 100));
        }
        sb.append(String.format(Locale.ROOT, "%,d %s  %,.0f/s  %.1fs", count, unit, rate, secs));
        out.print(sb);
        if (last) {
            out.println();
        }
        out.flush();
    }
}
