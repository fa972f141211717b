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
        return match(pattern, 0, s, 0, ignoreCase, 0);
    }

    private static boolean match(byte[] p, int pi, byte[] s, int si, boolean nocase, int depth) {
        if (depth > 1000) {
            return false; // a pattern of very many stars: Redis gives up too
        }
        while (pi < p.length) {
            switch (p[pi]) {
                case '*':
                    while (pi + 1 < p.length && p[pi + 1] == '*') {
                        pi++;
                    }
                    if (pi + 1 == p.length) {
                        return true;
                    }
                    for (int k = si; k <= s.length; k++) {
                        if (match(p, pi + 1, s, k, nocase, depth + 1)) {
                            return true;
                        }
                    }
                    return false;
                case '?':
                    if (si >= s.length) {
                        return false;
                    }
                    si++;
                    break;
                case '[': {
                    if (si >= s.length) {
                        return false;
                    }
                    int[] end = {0};
                    if (!inClass(p, pi + 1, s[si], nocase, end)) {
                        return false;
                    }
                    pi = end[0];
                    si++;
                    break;
                }
                case '\\':
                    if (pi + 1 < p.length) {
                        pi++;
                    }
                    // fall through: the escaped byte matches literally
                default:
                    if (si >= s.length || !same(p[pi], s[si], nocase)) {
                        return false;
                    }
                    si++;
                    break;
            }
            pi++;
        }
        return si == s.length;
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
