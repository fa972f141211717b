package io.pequod.server.resp;

import io.netty.handler.codec.redis.ArrayRedisMessage;
import io.netty.handler.codec.redis.IntegerRedisMessage;
import io.netty.handler.codec.redis.RedisMessage;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

import static io.pequod.server.resp.RespCommands.ascii;
import static io.pequod.server.resp.RespCommands.bulk;
import static io.pequod.server.resp.RespCommands.integer;
import static io.pequod.server.resp.RespCommands.text;

/**
 * {@code LCS key1 key2 [LEN] [IDX] [MINMATCHLEN n] [WITHMATCHLEN]}: the longest common
 * subsequence of two values, by Redis' dynamic programme and walk back (so that the ranges come
 * out as Redis gives them, last first).
 */
final class Lcs {
    /** The largest table of lengths computed, in cells (4 bytes each). */
    private static final long MAX_CELLS = 16L * 1024 * 1024;

    private Lcs() {
    }

    static RedisMessage run(RespCommands.Session s, List<byte[]> args) {
        boolean len = false;
        boolean idx = false;
        boolean withMatchLen = false;
        long minMatchLen = 0;
        for (int i = 3; i < args.size(); i++) {
            switch (text(args.get(i)).toUpperCase(Locale.ROOT)) {
                case "LEN" -> len = true;
                case "IDX" -> idx = true;
                case "WITHMATCHLEN" -> withMatchLen = true;
                case "MINMATCHLEN" -> {
                    if (++i >= args.size()) {
                        throw new IllegalArgumentException("syntax error");
                    }
                    minMatchLen = Math.max(0, integer(args.get(i)));
                }
                default -> throw new IllegalArgumentException("syntax error");
            }
        }
        if (len && idx) {
            throw new IllegalArgumentException("If you want both the length and indexes, please just use IDX.");
        }
        byte[] a = s.commands().get(args.get(1)).orElse(new byte[0]);
        byte[] b = s.commands().get(args.get(2)).orElse(new byte[0]);
        if ((long) (a.length + 1) * (b.length + 1) > MAX_CELLS) {
            throw new IllegalArgumentException("Insufficient memory, transient memory for LCS exceeds Pequod's limit of "
                    + MAX_CELLS + " cells");
        }
        int[][] t = table(a, b);
        if (len) {
            return new IntegerRedisMessage(t[a.length][b.length]);
        }
        return walk(a, b, t, idx, withMatchLen, minMatchLen);
    }

    private static int[][] table(byte[] a, byte[] b) {
        int[][] t = new int[a.length + 1][b.length + 1];
        for (int i = 1; i <= a.length; i++) {
            for (int j = 1; j <= b.length; j++) {
                t[i][j] = a[i - 1] == b[j - 1] ? t[i - 1][j - 1] + 1 : Math.max(t[i - 1][j], t[i][j - 1]);
            }
        }
        return t;
    }

    private static RedisMessage walk(byte[] a, byte[] b, int[][] t, boolean idx, boolean withMatchLen, long minMatchLen) {
        int n = t[a.length][b.length];
        byte[] result = new byte[n];
        List<RedisMessage> matches = new ArrayList<>();
        int aStart = a.length;
        int aEnd = 0;
        int bStart = 0;
        int bEnd = 0;
        int i = a.length;
        int j = b.length;
        int k = n;
        while (i > 0 && j > 0) {
            boolean emit = false;
            if (a[i - 1] == b[j - 1]) {
                result[--k] = a[i - 1];
                if (aStart == a.length) {
                    aStart = i - 1;
                    aEnd = i - 1;
                    bStart = j - 1;
                    bEnd = j - 1;
                } else if (aStart == i && bStart == j) {
                    aStart--;
                    bStart--;
                } else {
                    emit = true;
                }
                emit |= aStart == 0 || bStart == 0;
                i--;
                j--;
            } else {
                if (t[i - 1][j] > t[i][j - 1]) {
                    i--;
                } else {
                    j--;
                }
                emit = aStart != a.length;
            }
            if (emit) {
                int matchLen = aEnd - aStart + 1;
                if (minMatchLen == 0 || matchLen >= minMatchLen) {
                    List<RedisMessage> m = new ArrayList<>(List.of(range(aStart, aEnd), range(bStart, bEnd)));
                    if (withMatchLen) {
                        m.add(new IntegerRedisMessage(matchLen));
                    }
                    matches.add(new ArrayRedisMessage(m));
                }
                aStart = a.length;
            }
        }
        if (!idx) {
            return bulk(result);
        }
        return new RespMap(List.of(ascii("matches"), new ArrayRedisMessage(matches), ascii("len"), new IntegerRedisMessage(n)));
    }

    private static RedisMessage range(int from, int to) {
        return new ArrayRedisMessage(List.of(new IntegerRedisMessage(from), new IntegerRedisMessage(to)));
    }
}
