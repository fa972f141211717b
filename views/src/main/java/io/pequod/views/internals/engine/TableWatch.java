package io.pequod.views.internals.engine;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BooleanSupplier;

/**
 * Picks up what changed in the namespace since start: joins other instances installed, and table
 * topics that writers or other instances created (each materialized by an application of its own,
 * so the running ones are not disturbed). One refresh at a time, on a thread of its own.
 */
public final class TableWatch {
    private static final Logger LOG = LoggerFactory.getLogger(TableWatch.class);

    private final EngineParts parts;
    private final TableLayout layout;
    private final SpecInstaller installer;
    private final Object lock;
    private final BooleanSupplier running;
    private final AtomicBoolean refreshing = new AtomicBoolean();

    /**
     * @param parts     the engine's parts
     * @param layout    the tables applications
     * @param installer the joins in force
     * @param lock      the engine's lock, held while refreshing
     * @param running   whether the engine runs
     */
    public TableWatch(EngineParts parts, TableLayout layout, SpecInstaller installer, Object lock, BooleanSupplier running) {
        this.parts = parts;
        this.layout = layout;
        this.installer = installer;
        this.lock = lock;
        this.running = running;
    }

    /**
     * Starts a refresh on a thread of its own, unless one is running; under exactly-once it first
     * aborts transactions left hanging by a crash.
     */
    public void refreshInBackground() {
        if (refreshing.getAndSet(true)) {
            return;
        }
        Thread t = new Thread(() -> {
            try {
                if (parts.streams().exactlyOnce() || !installer.spec().sources().isEmpty()) { // sources run exactly once
                    // the namespace's table topics (<ns>.) and its applications' topics (<ns>-)
                    String ns = parts.topics().namespace();
                    parts.admin().abortHangingTransactions(List.of(ns + ".", ns + "-"));
                }
                synchronized (lock) {
                    if (running.getAsBoolean()) {
                        refresh();
                    }
                }
            } catch (RuntimeException e) {
                LOG.warn("Could not refresh the set of tables: {}", e.toString());
            } finally {
                refreshing.set(false);
            }
        }, "pequod-refresh-tables");
        t.setDaemon(true);
        t.start();
    }

    private void refresh() {
        // the topics first, then the joins recorded: an install records its joins before it
        // creates their tables, so tables found here that an install brings are installed with its
        // joins (one application, as on the installing instance), not adopted one by one
        Set<String> found = new TreeSet<>(parts.admin().existingTables());
        installer.installRecorded();
        found.removeAll(parts.tables());
        if (found.isEmpty() || !parts.runsTables()) {
            return;
        }
        parts.learnTables(found);
        layout.add(found, parts.names()::lateTableApplication);
        layout.start();
        parts.tables().addAll(found);
        LOG.info("Now materializing new tables {}", found);
    }
}
