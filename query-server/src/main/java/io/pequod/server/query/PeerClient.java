package io.pequod.server.query;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.ssl.SslContext;
import io.pequod.schemas.Expiry;
import io.pequod.server.client.NettyHttpClient;
import org.apache.kafka.streams.state.HostInfo;

import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Collectors;

/**
 * Calls another Pequod instance's HTTP API for keys and partitions it owns ({@code local=true}
 * so that it answers from its own stores and never forwards again). Keys and values travel in
 * base64. Errors come back as {@link QueryException}s naming the instance.
 */
public final class PeerClient implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Base64.Encoder B64 = Base64.getUrlEncoder().withoutPadding();
    private static final Base64.Decoder B64D = Base64.getUrlDecoder();

    /** One client per instance: keep-alive connections, on a Netty event loop of its own. */
    private final Map<String, NettyHttpClient> clients = new ConcurrentHashMap<>();
    private static final int CONNECTIONS_PER_INSTANCE = 64;
    private final String authToken;
    private final Duration timeout;
    private final SslContext tls;
    private final PeerHealth health = new PeerHealth(this::answersUp);

    /**
     * @param authToken the shared secret, or {@code null}
     * @param timeout   time limit of each call
     */
    public PeerClient(String authToken, Duration timeout) {
        this(authToken, timeout, null);
    }

    /**
     * @param authToken the shared secret, or {@code null}
     * @param timeout   time limit of each call
     * @param tls       TLS to call other instances over https with (their certificates must name their advertised
     *                  host), or {@code null} to call them over http
     */
    public PeerClient(String authToken, Duration timeout, SslContext tls) {
        this.authToken = authToken;
        this.timeout = timeout;
        this.tls = tls;
    }

    /** @return which instances did not answer lately */
    public PeerHealth health() {
        return health;
    }

    private boolean answersUp(HostInfo host) {
        return "UP".equals(call(host, "GET", "/health", null, false, Duration.ofSeconds(1)).path("status").asText());
    }

    /** @return base64url of the bytes, as the internal API carries keys */
    public static String b64(byte[] b) {
        return B64.encodeToString(b);
    }

    /** @return bytes of a base64url string */
    public static byte[] unb64(String s) {
        return B64D.decode(s);
    }

    private static String q(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }

    /**
     * @return the value on the owner, or empty if absent
     */
    public Optional<byte[]> get(HostInfo host, byte[] key, String after, boolean stale, ReadNote note) {
        return getStored(host, key, after, stale, note).map(Stored::value);
    }

    /** @return the owner's value of the key with its expiry ({@code expire_at} in the answer), if present */
    public Optional<Stored> getStored(HostInfo host, byte[] key, String after, boolean stale, ReadNote note) {
        JsonNode r = call(host, "GET", "/v1/internal/get?key=" + b64(key) + params(after, stale), null, true);
        if (r == null) {
            return Optional.empty();
        }
        noted(r, note);
        return Optional.of(new Stored(unb64(r.path("value").asText()), r.hasNonNull("expire_at") ? r.path("expire_at").asLong() : null,
                r.hasNonNull("created_at") ? r.path("created_at").asLong() : null));
    }

    /** Copies what another instance said of its answer's freshness into the note. */
    private static void noted(JsonNode r, ReadNote note) {
        if (r.path("stale").asBoolean(false)) {
            note.stale(r.path("lag").asLong(-1), r.path("stale_reason").asText(null));
        }
    }

    /** @return the owner's entries of the range in these partitions */
    public ScanResult scan(HostInfo host, String table, byte[] first, byte[] last, int limit, Collection<Integer> partitions,
                           String after, boolean stale, ReadNote note) {
        JsonNode r = call(host, "GET", "/v1/internal/scan?table=" + q(table) + "&first=" + b64(first) + "&last=" + b64(last)
                + "&limit=" + limit + "&partitions=" + join(partitions) + params(after, stale), null, false);
        List<Entry> entries = new ArrayList<>();
        r.path("entries").forEach(e -> entries.add(new Entry(unb64(e.path("key").asText()), unb64(e.path("value").asText()))));
        noted(r, note);
        return new ScanResult(entries, r.path("more").asBoolean(false));
    }

    /** @return the owner's count of the range in these partitions (only the keys with an expiry, if {@code expiring}) */
    public long count(HostInfo host, String table, byte[] first, byte[] last, Collection<Integer> partitions, String after,
                      boolean stale, boolean expiring, ReadNote note) {
        JsonNode r = call(host, "GET", "/v1/internal/count?table=" + q(table) + "&first=" + b64(first) + "&last=" + b64(last)
                + "&partitions=" + join(partitions) + params(after, stale) + (expiring ? "&expiring=true" : ""), null, false);
        noted(r, note);
        return r.path("count").asLong();
    }

    /** @return the value after a read-modify-write applied by the owner */
    public Optional<byte[]> readModifyWrite(HostInfo host, byte[] key, String op, byte[] amount, Expiry expiry) {
        String path = "/v1/internal/rmw?key=" + b64(key) + "&op=" + q(op) + (expiry.at() == null ? "" : "&expire_at=" + expiry.at())
                + (expiry.keep() ? "&keep_ttl=true" : "");
        JsonNode r = call(host, "POST", path, amount, true);
        return r == null || r.path("value").isNull() ? Optional.empty() : Optional.of(unb64(r.path("value").asText()));
    }

    private static String params(String after, boolean stale) {
        return (after == null || after.isEmpty() ? "" : "&after=" + q(after)) + (stale ? "&stale=true" : "");
    }

    private static String join(Collection<Integer> ps) {
        return ps.stream().map(String::valueOf).collect(Collectors.joining(","));
    }

    /** Thrown instead of calling another instance from a thread that must not block (a Netty event loop). */
    public static final class WouldBlockException extends RuntimeException {
        WouldBlockException() {
            super("a call to another instance is needed", null, false, false);
        }
    }

    private static final ThreadLocal<Boolean> NON_BLOCKING = ThreadLocal.withInitial(() -> false);

    /**
     * Runs {@code r} with calls to other instances forbidden: they throw {@link WouldBlockException}.
     *
     * @param r the work
     */
    public static void nonBlocking(Runnable r) {
        NON_BLOCKING.set(true);
        try {
            r.run();
        } finally {
            NON_BLOCKING.set(false);
        }
    }

    /**
     * @param host          another instance
     * @param pathAndQuery  one of its endpoints about itself ({@code /v1/settle?scope=local}, {@code /v1/stats})
     * @param wait          how long to wait for the answer
     * @return its JSON answer
     * @throws QueryException if it fails or answers an error
     */
    public JsonNode get(HostInfo host, String pathAndQuery, Duration wait) {
        return call(host, "GET", pathAndQuery, null, false, wait);
    }

    /**
     * Asks another instance's {@code /health} for an operator, as a look: a slow or failed answer
     * does not mark it down (only the calls that route reads do).
     *
     * @param host another instance
     * @param wait how long to wait for the answer
     * @return its health, UP (200) or DOWN (503)
     * @throws QueryException unreachable if it does not answer, or with its error if it answers another status
     */
    public JsonNode askHealth(HostInfo host, Duration wait) {
        return call(host, "GET", "/health", null, false, wait, true);
    }

    private JsonNode call(HostInfo host, String method, String path, byte[] body, boolean notFoundIsNull) {
        return call(host, method, path, body, notFoundIsNull, timeout);
    }

    private JsonNode call(HostInfo host, String method, String path, byte[] body, boolean notFoundIsNull, Duration wait) {
        return call(host, method, path, body, notFoundIsNull, wait, false);
    }

    private JsonNode call(HostInfo host, String method, String path, byte[] body, boolean notFoundIsNull, Duration wait,
                          boolean look) {
        if (NON_BLOCKING.get()) {
            throw new WouldBlockException();
        }
        String address = host.host() + ":" + host.port();
        NettyHttpClient c = clients.computeIfAbsent(address, a -> new NettyHttpClient(URI.create((tls == null ? "http://" : "https://") + a),
                CONNECTIONS_PER_INSTANCE, timeout, authToken == null ? Map.of() : Map.of("Authorization", "Bearer " + authToken), tls));
        NettyHttpClient.Response r;
        try {
            r = c.send(HttpMethod.valueOf(method), path, body, wait)
                    .get(wait.toMillis() + 5_000, TimeUnit.MILLISECONDS);
        } catch (ExecutionException | TimeoutException e) {
            String why = e instanceof ExecutionException ? String.valueOf(e.getCause()) : "no response within " + wait.toMillis() + " ms";
            if (!look) {
                health.markDown(host, why);
            }
            throw QueryException.unreachable("instance " + address + ", which owns the data, did not answer: " + why);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw QueryException.unavailable("interrupted while asking instance " + address);
        }
        JsonNode json;
        try {
            json = JSON.readTree(r.body());
        } catch (IOException e) {
            json = JSON.createObjectNode().put("detail", r.body());
        }
        if (r.status() == 404 && notFoundIsNull) {
            return null;
        }
        if (r.status() != 200 && !(look && r.status() == 503)) {
            throw new QueryException(kindOf(r.status()), json.path("error").asText("error"),
                    "instance " + address + ": " + json.path("detail").asText(r.body()));
        }
        return json;
    }

    /** @return the kind of failure another instance's HTTP status says */
    private static Failure.Kind kindOf(int status) {
        return switch (status) {
            case 400 -> Failure.Kind.BAD_REQUEST;
            case 401 -> Failure.Kind.UNAUTHORIZED;
            case 404 -> Failure.Kind.NOT_FOUND;
            case 405 -> Failure.Kind.NOT_ALLOWED;
            case 503 -> Failure.Kind.UNAVAILABLE;
            default -> Failure.Kind.INTERNAL;
        };
    }

    /** Closes the connections to other instances. */
    @Override
    public void close() {
        health.close();
        clients.values().forEach(NettyHttpClient::close);
        clients.clear();
    }
}
