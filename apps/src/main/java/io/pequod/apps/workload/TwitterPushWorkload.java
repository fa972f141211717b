package io.pequod.apps.workload;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.pequod.ingest.Progress;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * The twitternew workload with client-managed timelines (Pequod's {@code --push}, and
 * {@code --backend redis}): the same operation sequence as {@link TwitterWorkload}; a post is
 * written into the timeline of every current follower; a new subscription does not bring past
 * posts (the classic approach cannot, short of copying them). Checks count timeline windows.
 */
public final class TwitterPushWorkload {
    private static final int BATCH = 10_000; // requests stay well under the server's 1 MiB body limit
    private final int nusers;
    private final long duration;
    private final double pactive;
    private final long seed;
    private final long popduration;
    private final TwitterModel.Graph graph;

    /**
     * @param nusers      users
     * @param duration    ticks
     * @param pactive     fraction of active users
     * @param seed        seed
     * @param popduration ticks of populate posts, fanned out to followers before the run
     */
    public TwitterPushWorkload(int nusers, long duration, double pactive, long seed, long popduration) {
        this(nusers, duration, pactive, seed, popduration, null);
    }

    /**
     * @param graph the follow graph, or {@code null} for Pequod's generated one
     */
    public TwitterPushWorkload(int nusers, long duration, double pactive, long seed, long popduration, TwitterModel.Graph graph) {
        this.graph = graph;
        this.popduration = popduration;
        this.nusers = nusers;
        this.duration = duration;
        this.pactive = pactive;
        this.seed = seed;
    }

    /**
     * @param sink where timelines live
     * @return the JSON result
     * @throws Exception if the backend fails
     */
    ObjectNode run(PushTimelines sink) throws Exception {
        TwitterModel m = new TwitterModel(nusers, pactive, seed, graph);
        List<Set<Integer>> followers = new ArrayList<>();
        for (int u = 0; u < nusers; u++) {
            followers.add(new HashSet<>());
        }
        m.follows.forEach(f -> followers.get(f[1]).add(f[0]));
        long p0 = System.nanoTime();
        List<TwitterModel.Post> backPosts = m.populatePosts(popduration);
        long buffered = 0;
        for (TwitterModel.Post p : backPosts) {
            buffered += fanOut(sink, followers, p);
            if (buffered >= BATCH) {
                sink.flush();
                buffered = 0;
            }
        }
        sink.flush();
        double popSecs = (System.nanoTime() - p0) / 1e9;
        long t0 = System.nanoTime();
        Counts n = execute(m, followers, sink);
        double secs = (System.nanoTime() - t0) / 1e9;
        ObjectNode o = new ObjectMapper().createObjectNode();
        o.put("nposts", n.posts);
        o.put("nbackposts", backPosts.size());
        o.put("nsubscribes", n.subscribes);
        o.put("nchecks", n.checks);
        o.put("nfull", n.full);
        o.put("nposts_read", n.read);
        o.put("nactive", m.active.length);
        o.put("nlogouts", n.logouts);
        o.put("wall_time", Math.round(secs * 1e6) / 1e6);
        o.put("run_ops_per_sec", Math.round(duration / secs));
        o.put("populate_wall_time", Math.round(popSecs * 1e6) / 1e6);
        o.put("mode", sink.describe());
        return o;
    }

    /** What a run did, as Pequod counts it. */
    private static final class Counts {
        long read;
        long posts;
        long subscribes;
        long checks;
        long full;
        long logouts;
    }

    /** Writes a post into every follower's timeline. @return the writes buffered */
    private static int fanOut(PushTimelines sink, List<Set<Integer>> followers, TwitterModel.Post p) {
        for (int f : followers.get(p.poster())) {
            sink.add(f, p.time(), p.poster());
        }
        return followers.get(p.poster()).size();
    }

    /** The run loop, then every logged-in user's final check. */
    private Counts execute(TwitterModel m, List<Set<Integer>> followers, PushTimelines sink) throws Exception {
        Counts n = new Counts();
        long buffered = 0;
        Progress bar = new Progress(System.err, "twitter push: run", "ops", duration, Progress.interactive());
        for (long i = 0; i < duration; i++) {
            TwitterModel.Op op = m.next();
            if (op instanceof TwitterModel.Post p) {
                buffered += fanOut(sink, followers, p);
                n.posts++;
            } else if (op instanceof TwitterModel.Subscribe s) {
                followers.get(s.poster()).add(s.user());
                n.subscribes++;
            } else if (op instanceof TwitterModel.Logout) {
                n.logouts++;
            } else if (op instanceof TwitterModel.Check c) {
                if (c.to() > c.from()) {
                    sink.count(c.user(), c.from(), c.to());
                    buffered++;
                }
                n.checks++;
                n.full += c.full() ? 1 : 0;
            }
            if (buffered >= BATCH) {
                n.read += sink.flush();
                buffered = 0;
            }
            bar.update(i, i);
        }
        n.read += sink.flush();
        for (TwitterModel.Check c : m.finalChecks()) {
            if (c.to() > c.from()) {
                sink.count(c.user(), c.from(), c.to());
            }
            n.checks++;
        }
        n.read += sink.flush();
        bar.finish(duration, duration);
        return n;
    }

    /**
     * @return what the run must read: posts in the window of followers at the time of the post
     */
    static long reference(int nusers, long duration, double pactive, long seed, long popduration) {
        return reference(nusers, duration, pactive, seed, popduration, null);
    }

    static long reference(int nusers, long duration, double pactive, long seed, long popduration, TwitterModel.Graph graph) {
        TwitterModel m = new TwitterModel(nusers, pactive, seed, graph);
        List<Set<Integer>> followers = new ArrayList<>();
        List<TreeSet<Long>> timeline = new ArrayList<>();
        for (int u = 0; u < nusers; u++) {
            followers.add(new HashSet<>());
            timeline.add(new TreeSet<>());
        }
        m.follows.forEach(f -> followers.get(f[1]).add(f[0]));
        for (TwitterModel.Post p : m.populatePosts(popduration)) {
            followers.get(p.poster()).forEach(f -> timeline.get(f).add(p.time() * 100_000 + p.poster()));
        }
        long n = 0;
        for (long i = 0; i < duration; i++) {
            TwitterModel.Op op = m.next();
            if (op instanceof TwitterModel.Post p) {
                followers.get(p.poster()).forEach(f -> timeline.get(f).add(p.time() * 100_000 + p.poster()));
            } else if (op instanceof TwitterModel.Subscribe s) {
                followers.get(s.poster()).add(s.user());
            } else if (op instanceof TwitterModel.Check c && c.to() > c.from()) {
                n += timeline.get(c.user()).subSet(c.from() * 100_000, c.to() * 100_000).size();
            }
        }
        for (TwitterModel.Check c : m.finalChecks()) {
            if (c.to() > c.from()) {
                n += timeline.get(c.user()).subSet(c.from() * 100_000, c.to() * 100_000).size();
            }
        }
        return n;
    }
}
