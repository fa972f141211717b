package io.pequod.server.http;

import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.handler.ssl.SslContext;
import io.pequod.schemas.Key;
import io.pequod.schemas.PequodException;
import io.pequod.server.internals.NettyListener;
import io.pequod.server.metrics.ServerMetrics;
import io.pequod.server.query.AdminService;
import io.pequod.server.query.Failure;
import io.pequod.server.query.PeerClient;
import io.pequod.server.query.QueryException;
import io.pequod.server.query.QueryService;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The HTTP API (DESIGN.md section 5) on Netty: JSON bodies, keys URL-encoded in paths, errors as
 * {@code {"error": ..., "detail": ...}} with 4xx/5xx and never a stack trace. Endpoints are a
 * {@link RouteTable} of public ({@link PublicRoutes}), admin ({@link AdminRoutes}) and internal
 * ({@link InternalRoutes}) routes. Request handling runs on a worker group, off the event loops,
 * since reads may wait for writes to be applied.
 */
public final class HttpFrontEnd implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(HttpFrontEnd.class);
    /** Largest request body: a value of the largest size and some room. */
    public static final int MAX_BODY = Key.MAX_VALUE_LENGTH + 64 * 1024;

    private final QueryService service;
    private final ServerMetrics metrics;
    private final String authToken;
    private final RouteTable routes = new RouteTable();
    // Single-key PUTs and DELETEs hold no worker while Kafka acknowledges them; reads may wait (for
    // a token, or for another instance). One shared queue: a request that waits holds up no other
    // request, as it would behind one of Netty's single-thread executors.
    private static final int WORKERS = 64;
    private final NettyListener listener = new NettyListener(2, 0);
    private final ExecutorService workers = Executors.newFixedThreadPool(WORKERS, new ThreadFactory() {
        private final AtomicInteger n = new AtomicInteger();

        @Override
        public Thread newThread(Runnable r) {
            Thread t = new Thread(r, "pequod-http-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        }
    });

    /**
     * @param service   the query service
     * @param admin     the operator's side: joins, rebuild, settle, health
     * @param metrics   metrics to record into and expose
     * @param authToken shared secret required as a Bearer token, or {@code null}
     */
    public HttpFrontEnd(QueryService service, AdminService admin, ServerMetrics metrics, String authToken) {
        this.service = service;
        this.metrics = metrics;
        this.authToken = authToken;
        new PublicRoutes(service).register(routes);
        new AdminRoutes(admin, service, metrics).register(routes);
        new InternalRoutes(service).register(routes);
        new ConsoleAssets().register(routes);
    }

    /**
     * @param host address to bind
     * @param port port, 0 for a free one
     * @return the bound port
     * @throws InterruptedException if interrupted while binding
     */
    public int start(String host, int port) throws InterruptedException {
        return start(host, port, null);
    }

    /**
     * @param host address to bind
     * @param port port, 0 for a free one
     * @param tls  TLS to serve, or {@code null} for plain TCP
     * @return the bound port
     * @throws InterruptedException if interrupted while binding
     */
    public int start(String host, int port, SslContext tls) throws InterruptedException {
        return listener.bind(host, port, tls, pipeline -> pipeline.addLast(new HttpServerCodec(8192, 16 * 1024, 64 * 1024))
                .addLast(new HttpObjectAggregator(MAX_BODY))
                .addLast(new Handler()));
    }

    @Override
    public void close() {
        listener.close();
        workers.shutdownNow();
    }

    private final class Handler extends SimpleChannelInboundHandler<FullHttpRequest> {
        Handler() {
            super(false);
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest req) {
            // Reads that cannot block (no token to wait for, every partition on this instance) run on
            // the event loop; anything that may wait or call another instance runs on a worker.
            if (req.method().equals(HttpMethod.GET) && !req.uri().contains("after=") && service.singleInstance()
                    && (req.uri().startsWith("/v1/scan") || req.uri().startsWith("/v1/count") || req.uri().startsWith("/v1/keys/"))) {
                try {
                    // should the instance no longer be alone, a call to another one goes to a worker instead
                    PeerClient.nonBlocking(() -> respond(ctx, req));
                    req.release();
                    return;
                } catch (PeerClient.WouldBlockException e) {
                    // fall through to a worker
                }
            }
            try {
                workers.execute(() -> handle(ctx, req));
            } catch (RejectedExecutionException closing) {
                req.release();
                ctx.close();
            }
        }

        private void handle(ChannelHandlerContext ctx, FullHttpRequest req) {
            try {
                respond(ctx, req);
            } finally {
                req.release();
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            LOG.debug("Closing HTTP connection after {}", cause.toString());
            ctx.close();
        }
    }

    /** Answers a request; a write's answer is sent from Kafka's acknowledgement, with no thread waiting for it. */
    private void respond(ChannelHandlerContext ctx, FullHttpRequest req) {
        long t0 = System.nanoTime();
        QueryStringDecoder qs = new QueryStringDecoder(req.uri());
        boolean keepAlive = HttpUtil.isKeepAlive(req);
        answer(req, qs).whenComplete((res, e) -> {
            FullHttpResponse r = res != null ? res : failure(req, e instanceof CompletionException ? e.getCause() : e);
            metrics.record("http", endpointName(qs.rawPath()), System.nanoTime() - t0, r.status().code() >= 400);
            HttpUtil.setContentLength(r, r.content().readableBytes());
            if (keepAlive) {
                r.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.KEEP_ALIVE);
                ctx.writeAndFlush(r);
            } else {
                ctx.writeAndFlush(r).addListener(ChannelFutureListener.CLOSE);
            }
        });
    }

    /** @return the route's answer (never a failed future, but {@link PeerClient.WouldBlockException} may be thrown) */
    private CompletableFuture<FullHttpResponse> answer(FullHttpRequest req, QueryStringDecoder qs) {
        try {
            if (!req.decoderResult().isSuccess()) {
                throw QueryException.badRequest("malformed HTTP request: " + req.decoderResult().cause());
            }
            RouteTable.Match m = routes.find(req.method(), qs.rawPath());
            checkAuth(req, m.route().group());
            return m.route().handler().handle(new Call(req, qs, m.variable()));
        } catch (PeerClient.WouldBlockException e) {
            throw e;
        } catch (RuntimeException e) {
            return CompletableFuture.completedFuture(failure(req, e));
        }
    }

    /** @return the answer to a failure: 4xx or 5xx with the reason, never a stack trace */
    private static FullHttpResponse failure(FullHttpRequest req, Throwable e) {
        if (e instanceof QueryException q) {
            FullHttpResponse r = Responses.error(q.failure());
            if (r.status().code() == 401) {
                // a browser asks for the secret (any user name, the token as password) and sends it with every call
                r.headers().set(HttpHeaderNames.WWW_AUTHENTICATE, "Basic realm=\"pequod\", charset=\"UTF-8\"");
            }
            return r;
        }
        if (e instanceof PequodException || e instanceof IllegalArgumentException) {
            return Responses.error(400, "bad request", e.getMessage());
        }
        LOG.warn("Internal error on {} {}", req.method(), req.uri(), e);
        return Responses.error(500, "internal error", e.toString());
    }

    private static String endpointName(String path) {
        if (path.startsWith("/v1/keys/")) {
            return "keys";
        }
        if (path.startsWith("/ui")) {
            return "ui";
        }
        return path.length() > 1 ? path.substring(1).replace('/', '_') : "root";
    }

    private void checkAuth(FullHttpRequest req, Route.Group group) {
        if (authToken == null || group == Route.Group.PROBE) {
            return;
        }
        String h = req.headers().get(HttpHeaderNames.AUTHORIZATION);
        boolean bearer = h != null && h.startsWith("Bearer ") && same(h.substring(7), authToken);
        String basic = h == null || bearer ? null : basicPassword(h);
        if (!bearer && (basic == null || !same(basic, authToken))) {
            throw new QueryException(Failure.Kind.UNAUTHORIZED, "unauthorized",
                    "this server needs the header Authorization: Bearer <token> (--auth-token), or in a browser the token as password");
        }
        // A browser sends its Basic credentials with any request to this host, also one a page of
        // another site makes it send (a form's POST): the console's writes carry a header that
        // such a request cannot (a custom header needs the server's consent, which it never gives).
        if (!bearer && !req.method().equals(HttpMethod.GET) && !req.method().equals(HttpMethod.HEAD)
                && req.headers().get(CONSOLE_HEADER) == null) {
            throw new QueryException(Failure.Kind.UNAUTHORIZED, "unauthorized",
                    "a browser's " + req.method() + " needs the console's header " + CONSOLE_HEADER
                            + " (pages of other sites cannot send it); scripts send Authorization: Bearer <token>");
        }
    }

    /** The header the console sends with its writes. */
    static final String CONSOLE_HEADER = "X-Pequod-Console";

    /** @return whether two secrets are equal, in a time that does not depend on where they differ */
    private static boolean same(String given, String secret) {
        return java.security.MessageDigest.isEqual(given.getBytes(java.nio.charset.StandardCharsets.UTF_8),
                secret.getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }

    /** @return the password of a Basic authorization (a browser's, for the console), or {@code null} */
    private static String basicPassword(String header) {
        if (!header.regionMatches(true, 0, "Basic ", 0, 6)) {
            return null;
        }
        try {
            String userAndPassword = new String(java.util.Base64.getDecoder().decode(header.substring(6).trim()),
                    java.nio.charset.StandardCharsets.UTF_8);
            int colon = userAndPassword.indexOf(':');
            return colon < 0 ? null : userAndPassword.substring(colon + 1);
        } catch (IllegalArgumentException e) {
            return null;
        }
    }
}
