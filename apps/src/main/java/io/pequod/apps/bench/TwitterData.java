package io.pequod.apps.bench;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;

/** A fixed-seed follow graph and posts for the join benchmarks: users follow a fixed number of distinct others. */
final class TwitterData {
    final int users;
    final List<int[]> follows = new ArrayList<>();
    final List<Set<Integer>> followersOf;

    TwitterData(int users, int followsPerUser, long seed) {
        this.users = users;
        Random rnd = new Random(seed);
        followersOf = new ArrayList<>();
        for (int u = 0; u < users; u++) {
            followersOf.add(new HashSet<>());
        }
        for (int u = 0; u < users; u++) {
            Set<Integer> chosen = new HashSet<>();
            while (chosen.size() < Math.min(followsPerUser, users - 1)) {
                int p = rnd.nextInt(users);
                if (p != u && chosen.add(p)) {
                    follows.add(new int[] {u, p});
                    followersOf.get(p).add(u);
                }
            }
        }
    }

    static String s(int user, int poster) {
        return String.format("s|%08d|%08d", user, poster);
    }

    static String p(int poster, long time) {
        return String.format("p|%08d|%010d", poster, time);
    }

    static String t(int user, long time, int poster) {
        return String.format("t|%08d|%010d|%08d", user, time, poster);
    }

    static final String TWITTER_JOIN =
            "t|<user>|<time>|<poster> = copy p|<poster>|<time> using s|<user>|<poster> where user:8, time:10, poster:8";
}
