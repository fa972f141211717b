package io.pequod.apps.workload;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;

/**
 * Pequod's twitternew workload, as a deterministic generator of operations (fixed seeds): the
 * follow graph (each user follows a uniform [20, 200] distinct others chosen by the skewed
 * popularity weight {@code 10 + (rank/n)^8 * max_followers}, max_followers shrunk by 0.7 until at
 * most n/4), posting weights, and the run loop's ticks (post 1, subscribe 10, logout 5, check 60).
 * The same sequence drives a Pequod run, a Redis run and the in-memory reference.
 */
public final class TwitterModel {
    /** Logical time of the first tick. */
    public static final long START = 1_000_000_000L;
    /** A first check after login reads this far back. */
    public static final long FIRST_CHECK_SPAN = 1_000_000L;
    /** Checks stop this far before now. */
    public static final long SKEW = 100_000L;

    /** One operation of the run loop. */
    public sealed interface Op permits Post, Subscribe, Logout, Check {
    }

    /** A poster posts at a time. @param poster who @param time when */
    public record Post(int poster, long time) implements Op {
    }

    /** A user follows a poster. @param user who @param poster whom */
    public record Subscribe(int user, int poster) implements Op {
    }

    /** A user logs out. @param user who */
    public record Logout(int user) implements Op {
    }

    /**
     * A user reads its timeline over [from, to).
     *
     * @param user who
     * @param from first time
     * @param to   end time (exclusive)
     * @param full whether this is the first check after login
     */
    public record Check(int user, long from, long to, boolean full) implements Op {
    }

    final int nusers;
    private final long seed;
    final List<int[]> follows = new ArrayList<>();
    final int[] followerCount;
    final double[] postWeight;
    final int[] active;
    private final Random rnd;
    private final double[] postCumulative;
    private final long[] lastRead;
    private final boolean[] loggedIn;
    private final ArrayDeque<Integer> loginOrder = new ArrayDeque<>();
    private int nextChecker;
    private long now = START;

    /**
     * A follow graph given by a file ({@code --graph}), as Pequod's: the number of users on the
     * first line, then one {@code user follower} pair per line (the follower follows the user;
     * users are numbered from 0). Blank lines are skipped; a pair given twice counts once.
     *
     * @param nusers  users
     * @param follows (follower, user) pairs, without duplicates
     */
    public record Graph(int nusers, List<int[]> follows) {
        /**
         * @param file the graph file
         * @return its graph
         * @throws IOException              if it cannot be read
         * @throws IllegalArgumentException naming file and line, if it is malformed
         */
        public static Graph read(Path file) throws IOException {
            List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
            String name = file.getFileName().toString();
            int first = 0;
            while (first < lines.size() && lines.get(first).isBlank()) {
                first++;
            }
            if (first == lines.size()) {
                throw new IllegalArgumentException(name + ": empty; the first line must be the number of users");
            }
            int n;
            try {
                n = Integer.parseInt(lines.get(first).trim());
            } catch (NumberFormatException e) {
                n = -1;
            }
            if (n < 2) {
                throw new IllegalArgumentException(name + ":" + (first + 1) + ": expected the number of users (at least 2), found '"
                        + lines.get(first).trim() + "'");
            }
            Set<Long> seen = new HashSet<>();
            List<int[]> follows = new ArrayList<>();
            for (int i = first + 1; i < lines.size(); i++) {
                String line = lines.get(i).trim();
                if (line.isEmpty()) {
                    continue;
                }
                String[] f = line.split("\\s+");
                int user = f.length == 2 ? parseUser(f[0], n) : -1;
                int follower = f.length == 2 ? parseUser(f[1], n) : -1;
                if (user < 0 || follower < 0) {
                    throw new IllegalArgumentException(name + ":" + (i + 1) + ": expected 'user follower', two user numbers from 0 to "
                            + (n - 1) + ", found '" + line + "'");
                }
                if (seen.add((long) follower * n + user)) {
                    follows.add(new int[] {follower, user});
                }
            }
            return new Graph(n, List.copyOf(follows));
        }

        private static int parseUser(String s, int n) {
            try {
                int u = Integer.parseInt(s);
                return u < n ? u : -1;
            } catch (NumberFormatException e) {
                return -1;
            }
        }
    }

    /**
     * @param nusers  users
     * @param pactive fraction of active users
     * @param seed    the seed
     */
    public TwitterModel(int nusers, double pactive, long seed) {
        this(nusers, pactive, seed, null);
    }

    /**
     * @param nusers  users (the graph's, if one is given)
     * @param pactive fraction of active users
     * @param seed    the seed
     * @param graph   the follow graph, or {@code null} to generate Pequod's
     */
    public TwitterModel(int nusers, double pactive, long seed, Graph graph) {
        if (graph != null && graph.nusers() != nusers) {
            throw new IllegalArgumentException("the graph has " + graph.nusers() + " users, not " + nusers);
        }
        this.nusers = nusers;
        this.seed = seed;
        this.rnd = new Random(seed);
        this.followerCount = new int[nusers];
        if (graph != null) {
            for (int[] f : graph.follows()) {
                follows.add(f);
                followerCount[f[1]]++;
            }
        } else {
            generateGraph();
        }
        postWeight = new double[nusers];
        postCumulative = new double[nusers];
        double ps = 0;
        for (int u = 0; u < nusers; u++) {
            int f = followerCount[u];
            postWeight[u] = f == 0 ? 0 : f < 10 ? 0.1 : 1 + rnd.nextInt(Math.max(1, (int) (2 * Math.log10(f))));
            ps += postWeight[u];
            postCumulative[u] = ps;
        }
        List<Integer> users = new ArrayList<>();
        for (int u = 0; u < nusers; u++) {
            users.add(u);
        }
        Collections.shuffle(users, rnd);
        active = users.subList(0, (int) Math.round(nusers * pactive)).stream().mapToInt(Integer::intValue).sorted().toArray();
        lastRead = new long[nusers];
        loggedIn = new boolean[nusers];
    }

    /** Pequod's follow graph: each user follows [20, 200] distinct others, picked by the skewed popularity weight. */
    private void generateGraph() {
        double maxFollowers = 1_000_000;
        while (maxFollowers > nusers / 4.0) {
            maxFollowers *= 0.7;
        }
        double[] cumulative = new double[nusers];
        double sum = 0;
        for (int r = 0; r < nusers; r++) {
            sum += 10 + Math.pow((double) r / nusers, 8) * maxFollowers;
            cumulative[r] = sum;
        }
        for (int u = 0; u < nusers; u++) {
            int n = Math.min(nusers - 1, 20 + rnd.nextInt(181));
            Set<Integer> chosen = new HashSet<>();
            while (chosen.size() < n) {
                int p = pick(cumulative, sum);
                if (p != u && chosen.add(p)) {
                    follows.add(new int[] {u, p});
                    followerCount[p]++;
                }
            }
        }
    }

    private int pick(double[] cumulative, double total) {
        return pick(rnd, cumulative, total);
    }

    private static int pick(Random rnd, double[] cumulative, double total) {
        double x = rnd.nextDouble() * total;
        int i = Arrays.binarySearch(cumulative, x);
        return Math.min(cumulative.length - 1, i >= 0 ? i : -i - 1);
    }

    /**
     * The posts of the populate phase ({@code --popduration}): over the ticks
     * {@code [START - popduration, START)}, each tick is a post with the run loop's odds (1 in 76),
     * by a poster picked by posting weight. Drawn from their own seed, so that the run loop's
     * operations do not depend on the populate duration.
     *
     * @param popduration ticks before the start
     * @return the posts in time order
     */
    public List<Post> populatePosts(long popduration) {
        Random r = new Random(seed * 1_000_003L + 17);
        List<Post> out = new ArrayList<>();
        for (long t = START - popduration; t < START; t++) {
            if (r.nextInt(76) == 0) {
                out.add(new Post(pick(r, postCumulative, postCumulative[nusers - 1]), t));
            }
        }
        return out;
    }

    /**
     * @param n a follower count
     * @return the posters with more than {@code n} followers in the populated graph (celebrities)
     */
    public BitSet postersWithMoreFollowersThan(int n) {
        BitSet b = new BitSet(nusers);
        for (int u = 0; u < nusers; u++) {
            if (followerCount[u] > n) {
                b.set(u);
            }
        }
        return b;
    }

    /** @return the current logical time */
    public long now() {
        return now;
    }

    /** @return the next operation of the run loop; time advances one tick */
    public Op next() {
        long t = now++;
        int x = rnd.nextInt(76);
        if (x < 1) {
            return new Post(pick(postCumulative, postCumulative[nusers - 1]), t);
        } else if (x < 11) {
            int user = active[rnd.nextInt(active.length)];
            int poster = rnd.nextInt(nusers - 1);
            return new Subscribe(user, poster >= user ? poster + 1 : poster);
        } else if (x < 16 && !loginOrder.isEmpty()) {
            int u = loginOrder.poll();
            loggedIn[u] = false;
            return new Logout(u);
        } else {
            int u = active[nextChecker++ % active.length];
            return check(u, t - SKEW);
        }
    }

    private Check check(int u, long to) {
        boolean full = !loggedIn[u];
        long from = full ? now - FIRST_CHECK_SPAN : lastRead[u];
        if (full) {
            loggedIn[u] = true;
            loginOrder.add(u);
        }
        if (to > lastRead[u]) {
            lastRead[u] = to;
        }
        return new Check(u, from, Math.max(from, to), full);
    }

    /** @return the final checks: every logged-in user reads up to now */
    public List<Check> finalChecks() {
        List<Check> out = new ArrayList<>();
        for (int u : loginOrder) {
            out.add(new Check(u, lastRead[u], now + 1, false));
        }
        return out;
    }

    static String s(int user, int poster) {
        return key("s|", user, 8, poster, 8);
    }

    static String p(int poster, long time) {
        return key("p|", poster, 8, time, 10);
    }

    static String t(int user, long time) {
        return key("t|", user, 8, time, 10);
    }

    /** {@code cs|<user>|<poster>}: a subscription to a celebrity (examples/celebrity.pq). */
    static String cs(int user, int poster) {
        return key("cs|", user, 8, poster, 8);
    }

    /** {@code ct|<time>|<poster>}: a celebrity's post (examples/celebrity.pq). */
    static String ct(int poster, long time) {
        return key("ct|", time, 10, poster, 8);
    }

    /** {@code <table>|<a zero-padded to wa>|<b zero-padded to wb>}, without String.format's cost. */
    static String key(String table, long a, int wa, long b, int wb) {
        StringBuilder sb = new StringBuilder(table.length() + wa + wb + 1).append(table);
        pad(sb, a, wa).append('|');
        return pad(sb, b, wb).toString();
    }

    private static StringBuilder pad(StringBuilder sb, long v, int width) {
        String digits = Long.toString(v);
        for (int i = digits.length(); i < width; i++) {
            sb.append('0');
        }
        return sb.append(digits);
    }
}
