package io.pequod.apps.workload;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.netty.handler.codec.http.HttpMethod;
import io.pequod.ingest.Progress;
import io.pequod.server.client.NettyHttpClient;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The Hacker-News-like "newp" application on {@code examples/newp.pq}: articles
 * {@code a|<aid>} (an article id is its author's 7-digit id then a 7-digit sequence), comments
 * {@code c|<aid>|<cid>|<commenter>}, votes {@code v|<aid>|<voter>}; the views are karma
 * {@code k|<author>}, vote counts {@code p|<aid>} and article pages {@code ma|<aid>|k|<cid>|<commenter>}
 * (each comment with its commenter's karma). Operations, by rate: post an article, comment, vote,
 * read a page (a scan of {@code ma|<aid>|}), read a karma. Writes are batched; reads run
 * concurrently and are not synchronized with the writes (a live site's reads). At the end the
 * client waits for the views and checks them against an in-memory evaluation of the final data:
 * every author's karma, every article's vote count and the pages of a sample of articles.
 */
public final class NewpWorkload {
    private static final ObjectMapper JSON = new ObjectMapper();
    /**
     * Writes per batch: small enough that the run's reads see recent writes (with 20,000, most
     * pages were read before any comment of the run was sent: 82 entries in 24,079 page reads;
     * with 1,000, about a second's writes, ~12,000), large enough to keep HTTP requests few.
     */
    private static final int BATCH = 1_000;

    private final String server;
    private final int articles;
    private final int users;
    private final long operations;
    private final double voteRate;
    private final long seed;
    private final WorkloadHttp web;
    /** Reads and batches of writes: many requests, for which the JDK's HttpClient cost more than the server. */
    private final NettyHttpClient client;
    /** Batches of writes in flight: a few, so that writing does not wait for each acknowledgement. */
    private final Semaphore batches = new Semaphore(BATCHES_IN_FLIGHT);
    private static final int BATCHES_IN_FLIGHT = 4;
    private final Semaphore window = new Semaphore(64);
    private final AtomicLong entriesRead = new AtomicLong();
    private final AtomicLong errors = new AtomicLong();
    private volatile String firstError;

    /**
     * @param server     the server (started with examples/newp.pq)
     * @param articles   articles posted before the run
     * @param users      users
     * @param operations operations of the run
     * @param voteRate   fraction of operations that are votes
     * @param seed       seed
     */
    public NewpWorkload(String server, int articles, int users, long operations, double voteRate, long seed) {
        this.server = server;
        this.web = new WorkloadHttp(server);
        this.client = new NettyHttpClient(URI.create(server), 64 + BATCHES_IN_FLIGHT);
        this.articles = articles;
        this.users = users;
        this.operations = operations;
        this.voteRate = voteRate;
        this.seed = seed;
    }

    /**
     * @return the JSON result, with {@code "verified": true} when the views equal the reference
     * @throws Exception if the server fails
     */
    public ObjectNode run() throws Exception {
        try {
            return runAll();
        } finally {
            client.close();
        }
    }

    /** What a run wrote and did, for the result and the verification. */
    private final class RunState {
        final Random rnd = new Random(seed);
        final List<String> aids = new ArrayList<>();
        final Map<String, Integer> commentSeq = new HashMap<>();
        final Set<String> votes = new HashSet<>();
        final List<String[]> comments = new ArrayList<>();
        final List<String> writes = new ArrayList<>();
        final int[] seqOf = new int[users];
        long nvotes;
        long ncomments;
        long nposts;
        long npages;
        long nkarma;

        String anArticle() {
            return aids.get(rnd.nextInt(aids.size()));
        }
    }

    private static final double COMMENT_RATE = 0.10;
    private static final double POST_RATE = 0.02;
    private static final double KARMA_RATE = 0.10;

    private ObjectNode runAll() throws Exception {
        RunState st = new RunState();
        long t0 = System.nanoTime();
        Progress bar = new Progress(System.err, "newp: populate", "articles", articles, Progress.interactive());
        for (int i = 0; i < articles; i++) {
            st.aids.add(post(st.rnd, st.seqOf, st.writes));
            flushIfFull(st.writes);
            bar.update(i, i);
        }
        sendBatch(st.writes);
        drainBatches();
        bar.finish(articles, articles);
        double popSecs = (System.nanoTime() - t0) / 1e9;
        long t1 = System.nanoTime();
        bar = new Progress(System.err, "newp: run", "ops", operations, Progress.interactive());
        for (long i = 0; i < operations; i++) {
            operate(st);
            flushIfFull(st.writes);
            bar.update(i, i);
        }
        sendBatch(st.writes);
        drainBatches();
        drain();
        bar.finish(operations, operations);
        double runSecs = (System.nanoTime() - t1) / 1e9;
        if (errors.get() > 0) {
            throw new IllegalStateException(errors.get() + " requests failed; first: " + firstError);
        }
        ObjectNode o = JSON.createObjectNode();
        o.put("narticles", st.aids.size());
        o.put("nposts", st.nposts);
        o.put("ncomments", st.ncomments);
        o.put("nvotes", st.nvotes);
        o.put("ndistinct_votes", st.votes.size());
        o.put("npage_reads", st.npages);
        o.put("nkarma_reads", st.nkarma);
        o.put("nentries_read", entriesRead.get());
        o.put("vote_rate", voteRate);
        o.put("populate_wall_time", round(popSecs));
        o.put("wall_time", round(runSecs));
        o.put("run_ops_per_sec", Math.round(operations / runSecs));
        verify(o, st.aids, st.votes, st.comments, st.rnd);
        return o;
    }

    /** One operation, chosen by the rates: vote, comment, post, read a karma, or read a page. */
    private void operate(RunState st) throws Exception {
        double x = st.rnd.nextDouble();
        if (x < voteRate) {
            String v = "v|" + st.anArticle() + "|" + user(st.rnd.nextInt(users));
            st.votes.add(v);
            st.writes.add(WorkloadHttp.line(v, "1"));
            st.nvotes++;
        } else if (x < voteRate + COMMENT_RATE) {
            String aid = st.anArticle();
            String cid = String.format("%07d", st.commentSeq.merge(aid, 1, Integer::sum));
            String commenter = user(st.rnd.nextInt(users));
            st.comments.add(new String[] {aid, cid, commenter});
            st.writes.add(WorkloadHttp.line("c|" + aid + "|" + cid + "|" + commenter, "a comment"));
            st.ncomments++;
        } else if (x < voteRate + COMMENT_RATE + POST_RATE) {
            st.aids.add(post(st.rnd, st.seqOf, st.writes));
            st.nposts++;
        } else if (x < voteRate + COMMENT_RATE + POST_RATE + KARMA_RATE) {
            read("/v1/keys/" + WorkloadHttp.enc("k|" + user(st.rnd.nextInt(users))), true);
            st.nkarma++;
        } else {
            String aid = st.anArticle();
            read("/v1/scan?first=" + WorkloadHttp.enc("ma|" + aid + "|") + "&last=" + WorkloadHttp.enc("ma|" + aid + "}")
                    + "&limit=1000", false);
            st.npages++;
        }
    }

    /** Waits for the views, then compares karma, vote counts and sampled pages with the reference. */
    private void verify(ObjectNode o, List<String> aids, Set<String> votes, List<String[]> comments, Random rnd) throws Exception {
        long t = System.nanoTime();
        HttpResponse<String> s = web.send("GET", "/v1/settle?timeout_ms=300000", null);
        if (s.statusCode() != 200) {
            throw new IllegalStateException("views did not settle: " + s.body());
        }
        o.put("settle_time", round((System.nanoTime() - t) / 1e9));
        Map<String, Long> karma = new TreeMap<>();
        Map<String, Long> perArticle = new TreeMap<>();
        for (String v : votes) {
            String aid = v.substring(2, 16);
            karma.merge("k|" + aid.substring(0, 7), 1L, Long::sum);
            perArticle.merge("p|" + aid, 1L, Long::sum);
        }
        long mismatches = compareTable("k|", "k}", karma) + compareTable("p|", "p}", perArticle);
        Map<String, List<String[]>> byArticle = new HashMap<>();
        comments.forEach(c -> byArticle.computeIfAbsent(c[0], x -> new ArrayList<>()).add(c));
        List<String> commented = new ArrayList<>(byArticle.keySet());
        Collections.sort(commented);
        int sample = Math.min(200, commented.size());
        for (int i = 0; i < sample; i++) {
            String aid = commented.get(rnd.nextInt(commented.size()));
            Map<String, Long> page = new TreeMap<>();
            for (String[] c : byArticle.get(aid)) {
                Long k = karma.get("k|" + c[2]);
                if (k != null) {
                    page.put("ma|" + aid + "|k|" + c[1] + "|" + c[2], k);
                }
            }
            mismatches += compareTable("ma|" + aid + "|", "ma|" + aid + "}", page);
        }
        o.put("verified_karma_keys", karma.size());
        o.put("verified_article_counts", perArticle.size());
        o.put("verified_pages", sample);
        o.put("mismatches", mismatches);
        o.put("verified", mismatches == 0);
    }

    private long compareTable(String first, String last, Map<String, Long> expected) throws IOException, InterruptedException {
        Map<String, Long> actual = new TreeMap<>();
        String from = first;
        while (true) {
            JsonNode n = JSON.readTree(web.send("GET", "/v1/scan?first=" + WorkloadHttp.enc(from) + "&last=" + WorkloadHttp.enc(last) + "&limit=10000", null).body());
            JsonNode entries = n.path("entries");
            for (JsonNode e : entries) {
                long v = Long.parseLong(e.path("value").asText());
                if (v != 0) { // counts stay at "0"; the reference has no key for them
                    actual.put(e.path("key").asText(), v);
                }
            }
            if (!n.path("more").asBoolean() || entries.isEmpty()) {
                break;
            }
            from = entries.get(entries.size() - 1).path("key").asText() + "\0";
        }
        long diff = 0;
        Set<String> keys = new HashSet<>(actual.keySet());
        keys.addAll(expected.keySet());
        for (String k : keys) {
            if (!Objects.equals(actual.get(k), expected.get(k))) {
                diff++;
            }
        }
        return diff;
    }

    private String post(Random rnd, int[] seqOf, List<String> writes) {
        int author = rnd.nextInt(users);
        String aid = user(author) + String.format("%07d", ++seqOf[author]);
        writes.add(WorkloadHttp.line("a|" + aid, "an article"));
        return aid;
    }

    private static String user(int u) {
        return String.format("%07d", u);
    }

    private void flushIfFull(List<String> writes) throws InterruptedException {
        if (writes.size() >= BATCH) {
            sendBatch(writes);
        }
    }

    /** Sends the writes as one batch, without waiting for it (unless {@value #BATCHES_IN_FLIGHT} are in flight). */
    private void sendBatch(List<String> writes) throws InterruptedException {
        if (writes.isEmpty()) {
            return;
        }
        byte[] body = String.join("\n", writes).getBytes(StandardCharsets.UTF_8);
        writes.clear();
        batches.acquire();
        client.send(HttpMethod.POST, "/v1/batch", body).whenComplete((r, e) -> {
            if (e != null || r.status() != 200) {
                errors.incrementAndGet();
                if (firstError == null) {
                    firstError = "batch write: " + (e != null ? e.toString() : r.status() + " " + r.body());
                }
            }
            batches.release();
        });
    }

    private void drainBatches() throws InterruptedException {
        batches.acquire(BATCHES_IN_FLIGHT);
        batches.release(BATCHES_IN_FLIGHT);
    }


    private void read(String path, boolean notFoundOk) throws InterruptedException {
        window.acquire();
        client.get(path).whenComplete((r, e) -> {
            try {
                if (e == null && r.status() == 200) {
                    JsonNode n = JSON.readTree(r.body());
                    entriesRead.addAndGet(n.has("entries") ? n.path("entries").size() : 1);
                } else if (e != null || !(notFoundOk && r.status() == 404)) {
                    errors.incrementAndGet();
                    if (firstError == null) {
                        firstError = path + ": " + (e != null ? e.toString() : r.status() + " " + r.body());
                    }
                }
            } catch (IOException x) {
                errors.incrementAndGet();
            } finally {
                window.release();
            }
        });
    }

    private void drain() throws InterruptedException {
        window.acquire(64);
        window.release(64);
    }




    private static double round(double d) {
        return Math.round(d * 1000) / 1000.0;
    }

}
