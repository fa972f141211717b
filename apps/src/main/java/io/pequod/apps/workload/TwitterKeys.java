package io.pequod.apps.workload;

import java.util.BitSet;

/**
 * The keys a Twitter run writes: {@code s|user|poster} and {@code p|poster|time}, or {@code cs} and
 * {@code ct} for a celebrity poster (pulled at read time in celebrity mode).
 *
 * @param celebrities the celebrity posters
 */
record TwitterKeys(BitSet celebrities) {
    String subscription(int user, int poster) {
        return celebrities.get(poster) ? TwitterModel.cs(user, poster) : TwitterModel.s(user, poster);
    }

    String post(int poster, long time) {
        return celebrities.get(poster) ? TwitterModel.ct(poster, time) : TwitterModel.p(poster, time);
    }
}
