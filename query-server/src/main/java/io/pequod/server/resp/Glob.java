package io.pequod.server.resp;

/**
 * Redis' glob patterns (KEYS, SCAN MATCH, CONFIG GET), byte by byte as Redis' {@code stringmatchlen}:
 * {@code *} any run, {@code ?} one byte, {@code [abc]}, {@code [^a]}, {@code [a-z]}, and {@code \}
 * taking the next byte literally.
 */
final class Glob {
    private Glob() {
    }

    /**
     * @param pattern    the pattern
     * @param s          the text
     * @param ignoreCase whether ASCII letters match either case
     * @return whether the whole text matches
     */
    static boolean matches(byte[] pattern, byte[] s, boolean ignoreCase) {
        // Greedy with backtracking to the last star only: O(pattern x text) at worst, where
        // trying every split for every star is exponential (a*a*a*...b against aaaa...).
        int pi = 0;
        int si = 0;
        int starP = -1;
        int starS = 0;
        while (si < s.length) {
            if (pi < pattern.length && pattern[pi] == '*') {
                starP = pi++;
                starS = si;
                continue;
            }
            int next = pi < pattern.length ? step(pattern, pi, s[si], ignoreCase) : -1;
            if (next >= 0) {
                pi = next;
                si++;
            } else if (starP >= 0) {
                pi = starP + 1;
                si = ++starS;
            } else {
                return false;
            }
        }
        while (pi < pattern.length && pattern[pi] == '*') {
            pi++;
        }
        return pi == pattern.length;
    }

    /** @return the pattern index after the element at {@code pi} if it matches {@code c}, else -1 */
    private static int step(byte[] p, int pi, byte c, boolean nocase) {
        switch (p[pi]) {
            case '?':
                return pi + 1;
            case '[': {
                int[] end = {0};
                return inClass(p, pi + 1, c, nocase, end) ? end[0] + 1 : -1;
            }
            case '\\':
                if (pi + 1 < p.length) {
                    return same(p[pi + 1], c, nocase) ? pi + 2 : -1;
                }
                return same(p[pi], c, nocase) ? pi + 1 : -1;
            default:
                return same(p[pi], c, nocase) ? pi + 1 : -1;
        }
    }

    /** @return whether {@code c} is in the class starting at {@code i} (after '['); end[0] is set to its ']' */
    private static boolean inClass(byte[] p, int i, byte c, boolean nocase, int[] end) {
        boolean not = i < p.length && p[i] == '^';
        if (not) {
            i++;
        }
        boolean match = false;
        for (; i < p.length && p[i] != ']'; i++) {
            if (p[i] == '\\' && i + 1 < p.length) {
                i++;
                match |= same(p[i], c, nocase);
            } else if (i + 2 < p.length && p[i + 1] == '-' && p[i + 2] != ']') {
                int lo = fold(p[i], nocase);
                int hi = fold(p[i + 2], nocase);
                if (lo > hi) {
                    int t = lo;
                    lo = hi;
                    hi = t;
                }
                int x = fold(c, nocase);
                match |= x >= lo && x <= hi;
                i += 2;
            } else {
                match |= same(p[i], c, nocase);
            }
        }
        end[0] = Math.min(i, p.length - 1); // an unclosed class ends the pattern, as in Redis
        return not != match;
    }

    private static boolean same(byte a, byte b, boolean nocase) {
        return fold(a, nocase) == fold(b, nocase);
    }

    private static int fold(byte b, boolean nocase) {
        int x = b & 0xFF;
        return nocase && x >= 'A' && x <= 'Z' ? x + 32 : x;
    }
}
