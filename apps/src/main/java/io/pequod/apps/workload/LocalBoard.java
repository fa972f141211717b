package io.pequod.apps.workload;

import java.util.concurrent.atomic.AtomicLongArray;

/** Clients of this process. */
final class LocalBoard implements ProgressBoard {
    private final AtomicLongArray acked;

    LocalBoard(int clients) {
        acked = new AtomicLongArray(clients);
        for (int c = 0; c < clients; c++) {
            acked.set(c, TwitterModel.START);
        }
    }

    @Override
    public void report(int client, long upTo, boolean now) {
        acked.accumulateAndGet(client, upTo, Math::max);
    }

    @Override
    public long othersAcked(int client) {
        long min = Long.MAX_VALUE;
        for (int c = 0; c < acked.length(); c++) {
            if (c != client) {
                min = Math.min(min, acked.get(c));
            }
        }
        return min;
    }

    @Override
    public long pollMillis() {
        return 1;
    }
}
