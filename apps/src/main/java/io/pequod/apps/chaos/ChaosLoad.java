package io.pequod.apps.chaos;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

/**
 * Writes and reads through the HTTP API while instances die: a writer that keeps a ledger of
 * every acknowledged write (and of keys whose last write has an unknown outcome, which it never
 * writes again), checks now and then that a read with the write's token sees it, and a reader
 * that records every answer, to measure how long reads went unanswered and how many answers
 * were marked stale. Keys follow {@link ChaosSpec}.
 */
public final class ChaosLoad implements AutoCloseable {
    /** Stands for an acknowledged erase in the ledger. */
    static final String ERASED = "\u0000erased";
    private static final ObjectMapper JSON = new ObjectMapper();

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();
    private final Supplier<String> writeUrl;
    private final Supplier<String> readUrl;
    private final int rate;
    private final Random random = new Random(42);
    private final Map<String, String> acked = new ConcurrentHashMap<>();
    private final Set<String> uncertain = ConcurrentHashMap.newKeySet();
    private final AtomicLong writesOk = new AtomicLong();
    private final AtomicLong writesFailed = new AtomicLong();
    private final AtomicLong readsOk = new AtomicLong();
    private final AtomicLong readsFailed = new AtomicLong();
    private final AtomicLong staleAnswers = new AtomicLong();
    private final AtomicLong strictReads = new AtomicLong();
    private final AtomicLong strictUnavailable = new AtomicLong();
    private final List<String> slowReads = Collections.synchronizedList(new ArrayList<>());
    private final List<String> freshViolations = Collections.synchronizedList(new ArrayList<>());
    private long time;
    private volatile boolean running = true;
    private final List<Thread> threads = new ArrayList<>();
    /** {@link System#nanoTime()} of the window's start and of the latest successful read in it. */
    private volatile long windowStart;
    private volatile long lastOk;
    private volatile long maxGapNanos;
    private volatile long lastWriteOk;
    private volatile long maxWriteGapNanos;

    /**
     * @param writeUrl the instance to write through (asked before every write)
     * @param readUrl  the instance to read through (asked before every read)
     * @param rate     writes per second
     */
    public ChaosLoad(Supplier<String> writeUrl, Supplier<String> readUrl, int rate) {
        this.writeUrl = writeUrl;
        this.readUrl = readUrl;
        this.rate = rate;
    }

    /** Writes every user's first item (never erased, so that every sum, min and max keeps a key), retrying until acknowledged. */
    public void seed() throws InterruptedException {
        for (int u = 0; u < ChaosSpec.USERS; u++) {
            String k = ChaosSpec.item(u, 0);
            while (!write(k, "100")) {
                Thread.sleep(200);
            }
        }
    }

    /** Starts the writer and the reader. @return this */
    public ChaosLoad start() {
        for (Thread t : List.of(new Thread(this::writeLoop, "chaos-writer"), new Thread(this::readLoop, "chaos-reader"))) {
            t.setDaemon(true);
            t.start();
            threads.add(t);
        }
        return this;
    }

    private void writeLoop() {
        long periodNanos = 1_000_000_000L / rate;
        long next = System.nanoTime();
        while (running) {
            next += periodNanos;
            writeOne();
            long sleep = next - System.nanoTime();
            if (sleep > 0) {
                try {
                    Thread.sleep(sleep / 1_000_000, (int) (sleep % 1_000_000));
                } catch (InterruptedException e) {
                    return;
                }
            } else {
                next = System.nanoTime(); // behind (an instance down): no burst afterwards
            }
        }
    }

    private void writeOne() {
        double r = random.nextDouble();
        int u = random.nextInt(ChaosSpec.USERS);
        int other = random.nextInt(ChaosSpec.USERS);
        String key;
        String value;
        if (r < 0.08) {
            key = ChaosSpec.follow(u, other);
            value = "1";
        } else if (r < 0.10) {
            key = ChaosSpec.follow(u, other);
            value = null;
        } else if (r < 0.50) {
            key = ChaosSpec.post(other, ++time);
            value = "post " + time;
        } else if (r < 0.92) {
            key = ChaosSpec.item(u, random.nextInt(ChaosSpec.ITEMS));
            value = Integer.toString(random.nextInt(1000));
        } else {
            key = ChaosSpec.item(u, 1 + random.nextInt(ChaosSpec.ITEMS - 1));
            value = null;
        }
        if (uncertain.contains(key)) {
            return;
        }
        String token = writeWithToken(key, value);
        if (token != null && value != null && key.startsWith("x|") && random.nextInt(5) == 0) {
            checkFresh(key, value, token);
        }
    }

    private boolean write(String key, String value) {
        return writeWithToken(key, value) != null;
    }

    /** @return the write's token once acknowledged, or null (the key is then never written again) */
    private String writeWithToken(String key, String value) {
        try {
            HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(writeUrl.get() + "/v1/keys/" + enc(key))).timeout(Duration.ofSeconds(5));
            HttpResponse<String> res = http.send(value == null ? b.DELETE().build() : b.PUT(HttpRequest.BodyPublishers.ofString(value)).build(),
                    HttpResponse.BodyHandlers.ofString());
            if (res.statusCode() == 200) {
                acked.put(key, value == null ? ERASED : value);
                writesOk.incrementAndGet();
                acknowledged();
                return JSON.readTree(res.body()).path("token").asText();
            }
        } catch (ConnectException refused) {
            writesFailed.incrementAndGet(); // never sent: the key's last write is still known
            return null;
        } catch (IOException e) {
            // unknown outcome
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        uncertain.add(key);
        writesFailed.incrementAndGet();
        return null;
    }

    /** A read with the write's token must see the write, or say it cannot (503). */
    private void checkFresh(String key, String value, String token) {
        strictReads.incrementAndGet();
        try {
            HttpResponse<String> res = get("/v1/keys/" + enc(key) + "?after=" + enc(token));
            if (res.statusCode() == 503) {
                strictUnavailable.incrementAndGet();
            } else if (res.statusCode() != 200 || !value.equals(JSON.readTree(res.body()).path("value").asText())) {
                freshViolations.add(key + " after " + token + ": wrote " + value + ", read " + res.statusCode() + " " + res.body());
            }
        } catch (IOException e) {
            strictUnavailable.incrementAndGet();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void readLoop() {
        int i = 0;
        while (running) {
            String path = i++ % 2 == 0 ? "/v1/count?first=" + enc("x|") + "&last=" + enc("x}")
                    : "/v1/keys/" + enc("v|" + ChaosSpec.id(random.nextInt(ChaosSpec.USERS)));
            long t0 = System.nanoTime();
            int status = 0;
            String body = "";
            try {
                HttpResponse<String> res = get(path);
                status = res.statusCode();
                body = res.body();
                if (status == 200) {
                    answered(res.headers().firstValue("Pequod-Stale").isPresent());
                } else {
                    readsFailed.incrementAndGet();
                }
            } catch (IOException e) {
                readsFailed.incrementAndGet();
            } catch (InterruptedException e) {
                return;
            }
            long took = (System.nanoTime() - t0) / 1_000_000;
            if ((took > 250 || status != 200) && windowStart != 0 && slowReads.size() < 20) {
                slowReads.add(String.format("%d ms after the window began: %s took %d ms, status %d%s",
                        (t0 - windowStart) / 1_000_000, path, took, status, status == 200 ? "" : " " + body));
            }
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    private synchronized void answered(boolean stale) {
        long now = System.nanoTime();
        readsOk.incrementAndGet();
        if (stale) {
            staleAnswers.incrementAndGet();
        }
        if (windowStart != 0) {
            maxGapNanos = Math.max(maxGapNanos, now - Math.max(lastOk, windowStart));
        }
        lastOk = now;
    }

    private synchronized void acknowledged() {
        long now = System.nanoTime();
        if (windowStart != 0) {
            maxWriteGapNanos = Math.max(maxWriteGapNanos, now - Math.max(lastWriteOk, windowStart));
        }
        lastWriteOk = now;
    }

    /** Starts measuring the read and write gaps: the longest times without an answer from now on. */
    public synchronized void startWindow() {
        windowStart = System.nanoTime();
        slowReads.clear();
        maxGapNanos = 0;
        maxWriteGapNanos = 0;
    }

    /** @return the longest time in ms without an acknowledged write since {@link #startWindow}, counting the time since the last one */
    public synchronized long writeGapMs() {
        long open = windowStart == 0 ? 0 : System.nanoTime() - Math.max(lastWriteOk, windowStart);
        return Math.max(maxWriteGapNanos, open) / 1_000_000;
    }

    /** @return the longest time in ms without an answer since {@link #startWindow}, counting the time since the last answer */
    public synchronized long gapMs() {
        long open = windowStart == 0 ? 0 : System.nanoTime() - Math.max(lastOk, windowStart);
        return Math.max(maxGapNanos, open) / 1_000_000;
    }

    private HttpResponse<String> get(String path) throws IOException, InterruptedException {
        return http.send(HttpRequest.newBuilder(URI.create(readUrl.get() + path)).timeout(Duration.ofSeconds(5)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    static String enc(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }

    /** @return what the load did, as JSON fields */
    public Map<String, Object> counts() {
        return Map.of("writes_acked", writesOk.get(), "writes_failed", writesFailed.get(), "reads_ok", readsOk.get(),
                "reads_failed", readsFailed.get(), "stale_answers", staleAnswers.get(), "strict_reads", strictReads.get(),
                "strict_reads_unavailable", strictUnavailable.get(), "fresh_violations", freshViolations.size());
    }

    /** @return reads since the latest window began that took over 250 ms or failed (the first 20) */
    public List<String> slowReads() {
        return List.copyOf(slowReads);
    }

    /** @return reads with a write's token that did not see it */
    public List<String> freshViolations() {
        return List.copyOf(freshViolations);
    }

    /** @return the last acknowledged value of every key ({@link #ERASED} for an erase), without keys whose last write is unknown */
    public Map<String, String> ledger() {
        Map<String, String> out = new TreeMap<>(acked);
        uncertain.forEach(out::remove);
        return out;
    }

    /** Stops writing and reading. */
    @Override
    public void close() throws InterruptedException {
        running = false;
        for (Thread t : threads) {
            t.interrupt();
            t.join(10_000);
        }
    }

    /** @return the body of a POST's answer (an operator's request) @throws IllegalStateException if not 200 */
    String post(String url, String path, String body) throws IOException, InterruptedException {
        HttpResponse<String> res = http.send(HttpRequest.newBuilder(URI.create(url + path)).timeout(Duration.ofSeconds(120))
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
        if (res.statusCode() != 200) {
            throw new IllegalStateException("POST " + path + " on " + url + " answered " + res.statusCode() + ": " + res.body());
        }
        return res.body();
    }

    /** @return a JSON node of a GET's answer (the check's reads) @throws IllegalStateException if not 200 */
    JsonNode getJson(String url, String path) throws IOException, InterruptedException {
        HttpResponse<String> res = http.send(HttpRequest.newBuilder(URI.create(url + path)).timeout(Duration.ofSeconds(90)).build(),
                HttpResponse.BodyHandlers.ofString());
        if (res.statusCode() != 200) {
            throw new IllegalStateException("GET " + path + " on " + url + " answered " + res.statusCode() + ": " + res.body());
        }
        return JSON.readTree(res.body());
    }
}
