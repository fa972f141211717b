package io.pequod.apps.bench;

import io.pequod.ingest.Progress;
import io.pequod.server.client.NettyHttpClient;

import java.net.URI;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * An open-loop HTTP load generator, light enough to share the machine with the server it
 * measures (the JDK's HttpClient took a third of 2 cores at 1,000 requests/s and allocated ~30 KB
 * per request): GETs sent at a fixed rate through a {@link NettyHttpClient}. A request's latency
 * counts from when it was due, so a stall on either side is not hidden.
 */
final class HttpLoad implements AutoCloseable {
    private static final int MAX_CONNECTIONS = 256;
    private final NettyHttpClient client;
    private final String path;

    /** @param url the URL every request GETs */
    HttpLoad(URI url) {
        client = new NettyHttpClient(url, MAX_CONNECTIONS);
        path = url.getRawPath() + (url.getRawQuery() == null ? "" : "?" + url.getRawQuery());
    }

    /** What one run measured. */
    record Result(List<Double> latenciesMs, long errors) {
    }

    /**
     * @param rate    requests per second
     * @param seconds how long
     * @param label   for the progress bar
     * @return every request's latency in ms (unsorted) and the number of failed requests
     * @throws InterruptedException if interrupted
     */
    Result run(int rate, int seconds, String label) throws InterruptedException {
        int total = rate * seconds;
        CountDownLatch done = new CountDownLatch(total);
        List<Double> ms = Collections.synchronizedList(new ArrayList<>(total));
        AtomicLong errors = new AtomicLong();
        long interval = 1_000_000_000L / rate;
        long start = System.nanoTime();
        Progress bar = new Progress(System.err, "bench scan: " + label, "requests", total, true);
        for (int i = 0; i < total; i++) {
            long due = start + i * interval;
            long wait = due - System.nanoTime();
            if (wait > 0) {
                LockSupport.parkNanos(wait);
            }
            client.get(path).whenComplete((r, e) -> {
                if (e == null && r.status() == 200) {
                    ms.add((System.nanoTime() - due) / 1e6);
                } else {
                    errors.incrementAndGet();
                }
                done.countDown();
            });
            bar.update(i, i);
        }
        if (!done.await(2, TimeUnit.MINUTES)) {
            throw new IllegalStateException("bench scan: " + done.getCount() + " requests unanswered after 2 minutes");
        }
        bar.finish(total, total);
        return new Result(new ArrayList<>(ms), errors.get());
    }

    @Override
    public void close() {
        client.close();
    }
}
