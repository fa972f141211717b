package io.pequod.apps.workload;

import io.pequod.ingest.Progress;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Predicate;


/** One client: its share of the operations, with its own buffers and counters. */
final class ClientRun {
    /** Count requests a client keeps in flight while it builds the next. */
    private static final int CHECKS_IN_FLIGHT = 2;
    private static final int RUN_WRITE_BATCH = 1_000;
    private static final int CHECK_BATCH = 500;
    private final TwitterWorkload.Options o;
    private final TwitterKeys keys;
    private final int index;
    private final TwitterApi api;
    private final AtomicLong done;
    private final Progress bar;
    private final List<TreeSet<Long>> postsBy = new ArrayList<>();
    /** Times of this client's posts sent since the last settle (not known to be visible yet). */
    private final TreeSet<Long> pendingPosts = new TreeSet<>();
    private final Map<Integer, List<Integer>> pendingSubs = new HashMap<>();
    private final List<String[]> writes = new ArrayList<>();
    private final List<TwitterModel.Check> checks = new ArrayList<>();
    private final ArrayDeque<CompletableFuture<Void>> inFlight = new ArrayDeque<>();
    /** Count requests sent and not yet answered, oldest first. */
    private final ArrayDeque<SentChecks> checksInFlight = new ArrayDeque<>();
    /** Checks buffered or in flight, by user: a write must not overtake one it could change. */
    private final Map<Integer, List<TwitterModel.Check>> outstanding = new HashMap<>();
    /** At least the largest end of an outstanding check's window (posts at or after it change none). */
    private long outstandingMaxTo = Long.MIN_VALUE;
    private int outstandingCount;
    private boolean needSettle;
    /** Where this client reports how far its writes are acknowledged, and reads the others'. */
    private final ProgressBoard board;
    /** Every write of this client's operations before this time is acknowledged. */
    private final AtomicLong acked = new AtomicLong(TwitterModel.START);
    /** Writes sent and not yet acknowledged, oldest first, with the time their batch ends at. */
    private final ConcurrentLinkedDeque<SentWrites> unacked = new ConcurrentLinkedDeque<>();
    /** Times of the other clients' posts (of this run) that the last settle may not have covered. */
    private final TreeSet<Long> othersPosts = new TreeSet<>();
    /** The other clients' writes before this time were acknowledged when the last settle began. */
    private long othersSettled = TwitterModel.START;
    /** The largest window end of a buffered check that needs the other clients' writes. */
    private long needOthers = Long.MIN_VALUE;
    /** Writes buffered so far belong to operations before this time. */
    private long frontier = TwitterModel.START;
    long postsRead;
    long nposts;
    long nsubscribes;
    long nchecks;
    long nfull;
    long settles;
    long writeNanos;
    long readNanos;
    long settleNanos;

    private record SentChecks(List<TwitterModel.Check> checks, CompletableFuture<long[]> counts) {
    }

    private record SentWrites(CompletableFuture<Void> done, long upTo) {
    }

    ClientRun(TwitterWorkload.Options o, TwitterKeys keys, int index, TwitterApi api, List<TwitterModel.Post> backPosts,
              AtomicLong done, Progress bar, ProgressBoard board) {
        this.o = o;
        this.keys = keys;
        this.board = board;
        this.index = index;
        this.api = api;
        this.done = done;
        this.bar = bar;
        for (int u = 0; u < o.nusers(); u++) {
            postsBy.add(new TreeSet<>());
        }
        backPosts.forEach(p -> postsBy.get(p.poster()).add(p.time()));
    }

    private boolean mine(int user) {
        return user % o.clients() == index;
    }

    void run(List<TwitterModel.Op> ops, List<TwitterModel.Check> finals) throws Exception {
        long i = 0;
        for (TwitterModel.Op op : ops) {
            frontier = TwitterModel.START + i;
            if (op instanceof TwitterModel.Post p) {
                post(p);
            } else if (op instanceof TwitterModel.Subscribe s && mine(s.user())) {
                subscribe(s);
            } else if (op instanceof TwitterModel.Check c && mine(c.user())) {
                check(c);
            }
            frontier = TwitterModel.START + i + 1;
            if (writes.size() >= RUN_WRITE_BATCH) {
                sendWrites();
            }
            if (checks.size() >= CHECK_BATCH) {
                sendChecks();
            }
            if (writes.isEmpty() && unacked.isEmpty()) {
                publish(frontier); // nothing buffered or unacknowledged: every write so far is acknowledged
            }
            board.report(index, acked.get(), false);
            i++;
            if (bar != null && (i & 1023) == 0) {
                bar.update(i, i);
            }
        }
        finish(finals);
    }

    private void post(TwitterModel.Post p) throws Exception {
        postsBy.get(p.poster()).add(p.time()); // every client knows every post, to judge its checks
        if (!mine(p.poster())) {
            othersPosts.add(p.time());
            return;
        }
        if (p.time() < outstandingMaxTo && anyOutstanding(c -> p.time() >= c.from() && p.time() < c.to())) {
            drainChecks(); // a check sent or buffered earlier must not see this later post
        }
        writes.add(new String[] {keys.post(p.poster(), p.time()), "tweet"});
        pendingPosts.add(p.time());
        nposts++;
    }

    private void subscribe(TwitterModel.Subscribe s) throws Exception {
        List<TwitterModel.Check> theirs = outstanding.get(s.user());
        if (theirs != null && theirs.stream().anyMatch(c -> postedWithin(s.poster(), c))) {
            drainChecks();
        }
        writes.add(new String[] {keys.subscription(s.user(), s.poster()), "1"});
        pendingSubs.computeIfAbsent(s.user(), x -> new ArrayList<>()).add(s.poster());
        nsubscribes++;
    }

    private void check(TwitterModel.Check c) throws Exception {
        // A check that a pending write could change waits for the views, but not at once:
        // it is buffered with the others and one settle precedes the batch. Writes made in
        // between cannot change it (they would have sent the batch first).
        Long next = pendingPosts.ceiling(c.from());
        needSettle |= next != null && next < c.to()
                || pendingSubs.getOrDefault(c.user(), List.of()).stream()
                .anyMatch(poster -> postedWithin(poster, c));
        needOthers(c);
        buffer(c);
        nchecks++;
        nfull += c.full() ? 1 : 0;
    }

    /** @return whether the poster posted within the check's window */
    private boolean postedWithin(int poster, TwitterModel.Check c) {
        Long t = postsBy.get(poster).ceiling(c.from());
        return t != null && t < c.to();
    }

    /** After the loop: every logged-in user's final check, once every client's writes are in. */
    private void finish(List<TwitterModel.Check> finals) throws Exception {
        sendChecks();
        settle();
        publish(Long.MAX_VALUE); // no more writes from this client: the final checks read up to now + 1
        board.report(index, Long.MAX_VALUE, true);
        for (TwitterModel.Check c : finals) {
            if (!mine(c.user())) {
                continue;
            }
            needOthers(c);
            buffer(c);
            nchecks++;
            if (checks.size() >= CHECK_BATCH) {
                sendChecks();
            }
        }
        drainChecks();
    }

    /** Notes that a check must wait for the other clients if their posts in its window may not be visible. */
    private void needOthers(TwitterModel.Check c) {
        long from = Math.max(c.from(), othersSettled);
        if (from < c.to() && !othersPosts.subSet(from, c.to()).isEmpty()) {
            needOthers = Math.max(needOthers, c.to());
            needSettle = true;
        }
    }

    private void publish(long upTo) {
        acked.accumulateAndGet(upTo, Math::max);
    }

    /** Publishes the progress of the oldest acknowledged batches. */
    private void advance() {
        synchronized (unacked) {
            SentWrites w;
            while ((w = unacked.peekFirst()) != null && w.done().isDone()) {
                unacked.pollFirst();
                publish(w.upTo());
            }
        }
    }

    private void buffer(TwitterModel.Check c) {
        if (c.to() <= c.from()) {
            return; // an empty window reads nothing
        }
        checks.add(c);
        outstanding.computeIfAbsent(c.user(), x -> new ArrayList<>(2)).add(c);
        outstandingMaxTo = Math.max(outstandingMaxTo, c.to());
        outstandingCount++;
    }

    private boolean anyOutstanding(Predicate<TwitterModel.Check> p) {
        for (List<TwitterModel.Check> l : outstanding.values()) {
            for (TwitterModel.Check c : l) {
                if (p.test(c)) {
                    return true;
                }
            }
        }
        return false;
    }

    private void sendWrites() {
        if (writes.isEmpty()) {
            return;
        }
        long t0 = System.nanoTime();
        while (inFlight.size() >= 2) {
            inFlight.poll().join();
        }
        CompletableFuture<Void> f = api.write(new ArrayList<>(writes));
        inFlight.add(f);
        unacked.add(new SentWrites(f, frontier));
        f.whenComplete((v, e) -> advance());
        writes.clear();
        writeNanos += System.nanoTime() - t0;
    }

    /** Sends the buffered writes and waits until the views reflect them. */
    private void settle() throws Exception {
        sendWrites();
        long t0 = System.nanoTime();
        while (!inFlight.isEmpty()) {
            inFlight.poll().join();
        }
        advance();
        publish(frontier); // every write so far is acknowledged
        board.report(index, acked.get(), true);
        long others = board.othersAcked(index);
        if (needOthers != Long.MIN_VALUE && others < needOthers) {
            // Another client's posts in a buffered check's window: wait until its writes up to
            // the window's end are acknowledged (it reports as it goes, and before it waits).
            long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(10);
            while ((others = board.othersAcked(index)) < needOthers) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("client " + index + " waited 10 minutes for the other clients' writes up to "
                            + "logical time " + needOthers + " (they reported " + others + "); are all " + o.clients()
                            + " clients running, with the same options?");
                }
                Thread.sleep(board.pollMillis());
            }
        }
        api.settle();
        othersSettled = Math.max(othersSettled, others);
        needOthers = Long.MIN_VALUE;
        pendingPosts.clear();
        pendingSubs.clear();
        needSettle = false;
        settles++;
        settleNanos += System.nanoTime() - t0;
    }

    /** Sends the buffered checks (after a settle if one of them needs it), keeping a few batches in flight. */
    private void sendChecks() throws Exception {
        if (checks.isEmpty()) {
            return;
        }
        if (needSettle) {
            settle();
        }
        long t0 = System.nanoTime();
        List<TwitterModel.Check> batch = new ArrayList<>(checks);
        checks.clear();
        if (o.fetch()) {
            for (TwitterModel.Check c : batch) {
                postsRead += api.fetch(TwitterModel.t(c.user(), c.from()), TwitterModel.t(c.user(), c.to()));
            }
            answered(batch);
        } else {
            while (checksInFlight.size() >= CHECKS_IN_FLIGHT) {
                collect(checksInFlight.poll());
            }
            List<String[]> ranges = new ArrayList<>(batch.size());
            for (TwitterModel.Check c : batch) {
                ranges.add(new String[] {TwitterModel.t(c.user(), c.from()), TwitterModel.t(c.user(), c.to())});
            }
            checksInFlight.add(new SentChecks(batch, api.count(ranges)));
        }
        readNanos += System.nanoTime() - t0;
    }

    /** Sends the buffered checks and waits for every answer. */
    private void drainChecks() throws Exception {
        sendChecks();
        long t0 = System.nanoTime();
        while (!checksInFlight.isEmpty()) {
            collect(checksInFlight.poll());
        }
        readNanos += System.nanoTime() - t0;
    }

    private void collect(SentChecks sent) {
        for (long n : sent.counts().join()) {
            postsRead += n;
        }
        answered(sent.checks());
    }

    private void answered(List<TwitterModel.Check> batch) {
        for (TwitterModel.Check c : batch) {
            List<TwitterModel.Check> l = outstanding.get(c.user());
            l.remove(c);
            if (l.isEmpty()) {
                outstanding.remove(c.user());
            }
        }
        outstandingCount -= batch.size();
        if (outstandingCount == 0) {
            outstandingMaxTo = Long.MIN_VALUE;
        }
    }
}

