package io.pequod.views.internals.processor;

import java.util.concurrent.atomic.AtomicLong;

/**
 * A test-only fault: with the system property {@value #PROPERTY}{@code =N}, the JVM halts (as
 * {@code kill -9} would stop it) at the first output of a copy view from the N-th view output on,
 * after the stores logged the change that caused it and before the output is sent: the crash that
 * at-least-once processing must survive exactly. A copy view's entry, once lost, stays lost (an
 * aggregate's next change of the same group would mend a lost output, hiding the fault). It waits
 * a moment first, so that the store writes reach the broker. Unset, it costs one comparison per
 * output.
 */
final class FaultPoint {
    /** The system property naming the output to halt at. */
    static final String PROPERTY = "pequod.fault.halt-before-output";
    private static final long HALT_AT = Long.getLong(PROPERTY, 0L);
    private static final AtomicLong OUTPUTS = new AtomicLong();

    private FaultPoint() {
    }

    /**
     * Called before a view output is sent.
     *
     * @param copy whether a copy view sends it
     */
    static void beforeOutput(boolean copy) {
        if (HALT_AT > 0 && OUTPUTS.incrementAndGet() >= HALT_AT && copy) {
            try {
                Thread.sleep(500); // the producer sends what the stores logged
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            System.err.println("pequod: halting at view output " + HALT_AT + " (" + PROPERTY + ")");
            Runtime.getRuntime().halt(137);
        }
    }
}
