package io.pequod.apps.workload;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * What {@code twitter --check} compares with: {@link TwitterModel}'s operations on the same seed
 * run in memory, each check counted against the state after every earlier write (eager views), so
 * that every mode (partial, eager, pull, push) must read exactly this many posts.
 */
public final class TwitterReference {
    private TwitterReference() {
    }

    /**
     * The in-memory reference: the same operations on the same seed, each check counted against the
     * state after every earlier write (eager views).
     *
     * @param nusers      users
     * @param duration    ticks
     * @param pactive     fraction of active users
     * @param seed        seed
     * @param popduration ticks of populate posts
     * @return the posts the run must read
     */
    public static long reference(int nusers, long duration, double pactive, long seed, long popduration) {
        return reference(nusers, duration, pactive, seed, popduration, null);
    }

    /**
     * @param graph the follow graph, or {@code null} for Pequod's generated one
     * @return as {@link #reference(int, long, double, long, long)}, over that graph
     */
    public static long reference(int nusers, long duration, double pactive, long seed, long popduration, TwitterModel.Graph graph) {
        TwitterModel m = new TwitterModel(nusers, pactive, seed, graph);
        List<Set<Integer>> following = new ArrayList<>();
        List<TreeSet<Long>> posts = new ArrayList<>();
        for (int u = 0; u < nusers; u++) {
            following.add(new HashSet<>());
            posts.add(new TreeSet<>());
        }
        m.follows.forEach(f -> following.get(f[0]).add(f[1]));
        m.populatePosts(popduration).forEach(p -> posts.get(p.poster()).add(p.time()));
        long n = 0;
        for (long i = 0; i < duration; i++) {
            TwitterModel.Op op = m.next();
            if (op instanceof TwitterModel.Post p) {
                posts.get(p.poster()).add(p.time());
            } else if (op instanceof TwitterModel.Subscribe s) {
                following.get(s.user()).add(s.poster());
            } else if (op instanceof TwitterModel.Check c) {
                n += count(c, following, posts);
            }
        }
        for (TwitterModel.Check c : m.finalChecks()) {
            n += count(c, following, posts);
        }
        return n;
    }

    private static long count(TwitterModel.Check c, List<Set<Integer>> following, List<TreeSet<Long>> posts) {
        if (c.to() <= c.from()) {
            return 0;
        }
        long n = 0;
        for (int p : following.get(c.user())) {
            TreeSet<Long> ps = posts.get(p);
            if (!ps.isEmpty() && ps.last() >= c.from() && ps.first() < c.to()) { // most posters posted nothing in the window
                n += ps.subSet(c.from(), c.to()).size();
            }
        }
        return n;
    }
}
