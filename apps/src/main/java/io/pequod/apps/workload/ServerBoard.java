package io.pequod.apps.workload;

import java.util.List;
import java.util.Optional;

/**
 * Client processes ({@code --client I}): progress in the server's keys {@code twprogress|<client>},
 * which the populate phase resets. A client reports every 2,000 ticks and before it waits.
 */
final class ServerBoard implements ProgressBoard {
    private static final long EVERY = 2_000;
    private final TwitterApi api;
    private final int clients;
    private long reported = Long.MIN_VALUE;

    ServerBoard(TwitterApi api, int clients) {
        this.api = api;
        this.clients = clients;
    }

    @Override
    public void report(int client, long upTo, boolean now) throws Exception {
        if (upTo > reported && (now || upTo - reported >= EVERY)) {
            api.write(List.<String[]>of(new String[] {TwitterWorkload.progressKey(client), Long.toString(upTo)})).join();
            reported = upTo;
        }
    }

    @Override
    public long othersAcked(int client) throws Exception {
        long min = Long.MAX_VALUE;
        for (int c = 0; c < clients; c++) {
            if (c != client) {
                Optional<String> v = api.get(TwitterWorkload.progressKey(c));
                min = Math.min(min, v.map(Long::parseLong).orElse(TwitterModel.START));
            }
        }
        return min;
    }

    @Override
    public long pollMillis() {
        return 5;
    }
}
