package io.pequod.schemas;

/**
 * What a change says of its key's expiry ({@code Change.expireAt} and {@code Change.keepTtl}).
 *
 * @param at   the expiry to set, in milliseconds since the epoch, or {@code null}
 * @param keep whether a PUT keeps the key's expiry (Redis' KEEPTTL)
 */
public record Expiry(Long at, boolean keep) {
    /** Nothing said: a PUT drops the key's expiry, other operations keep it. */
    public static final Expiry NONE = new Expiry(null, false);
    /** A PUT keeps the key's expiry. */
    public static final Expiry KEEP = new Expiry(null, true);

    /** @param at milliseconds since the epoch @return an expiry at that time */
    public static Expiry at(long at) {
        return new Expiry(at, false);
    }
}
