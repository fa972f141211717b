package io.pequod.server.client;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioEventLoopGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.DecoderException;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslProvider;
import io.netty.util.AttributeKey;
import io.netty.util.NetUtil;
import io.netty.util.concurrent.DefaultThreadFactory;

import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLParameters;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * An asynchronous HTTP/1.1 client for many small requests to one server, on one Netty event
 * loop: keep-alive connections, one request in flight on each, a connection opened when none is
 * idle (up to a limit, then requests wait in order). The JDK's HttpClient costs several times
 * the server's own work per small request (measured: a third of 2 cores for 1,000 scans/s), which
 * a load generator or a workload sharing the machine with the server cannot afford.
 * Completions run on the client's event loop: callers must not block in them.
 */
public final class NettyHttpClient implements AutoCloseable {
    /** A response: its status and body (UTF-8). */
    public record Response(int status, String body) {
    }

    private static final AttributeKey<Pending> IN_FLIGHT = AttributeKey.valueOf("pequod.inFlight");
    private static final AttributeKey<Boolean> TIMED_OUT = AttributeKey.valueOf("pequod.timedOut");
    private static final AttributeKey<Throwable> FAILURE = AttributeKey.valueOf("pequod.failure");
    // Daemon threads: a client left open does not keep the JVM alive.
    private final EventLoopGroup group = new NioEventLoopGroup(1, new DefaultThreadFactory("pequod-http-client", true));
    private final Bootstrap bootstrap;
    private final String host;
    private final int maxConnections;
    // Touched on the event loop only.
    private final ArrayDeque<Channel> idle = new ArrayDeque<>();
    private final ArrayDeque<Pending> waiting = new ArrayDeque<>();
    private int connections;

    private record Pending(FullHttpRequest request, CompletableFuture<Response> result, long timeoutMs) {
    }

    /** How long a request may wait for its response before its connection is closed and it fails. */
    private final long timeoutMs;
    private final Map<String, String> headers;

    /**
     * @param server         {@code http://host:port}
     * @param maxConnections connections at most
     */
    public NettyHttpClient(URI server, int maxConnections) {
        this(server, maxConnections, Duration.ofMinutes(2));
    }

    /**
     * @param server         {@code http://host:port}
     * @param maxConnections connections at most
     * @param timeout        how long a request may wait for its response (then it fails)
     */
    public NettyHttpClient(URI server, int maxConnections, Duration timeout) {
        this(server, maxConnections, timeout, Map.of());
    }

    /**
     * @param server         {@code http://host:port}
     * @param maxConnections connections at most
     * @param timeout        how long a request may wait for its response, unless it says otherwise
     * @param headers        headers sent with every request (such as {@code Authorization})
     */
    public NettyHttpClient(URI server, int maxConnections, Duration timeout, Map<String, String> headers) {
        this(server, maxConnections, timeout, headers, null);
    }

    /**
     * @param server         {@code http://host:port} or {@code https://host:port}
     * @param maxConnections connections at most
     * @param timeout        how long a request may wait for its response, unless it says otherwise
     * @param headers        headers sent with every request (such as {@code Authorization})
     * @param tls            TLS to call an https server with (its trust, and key material if the server asks for
     *                       a certificate), or {@code null}: the JDK's default trust for https, none for http. The
     *                       server's certificate must name its host.
     */
    public NettyHttpClient(URI server, int maxConnections, Duration timeout, Map<String, String> headers, SslContext tls) {
        SslContext ssl = "https".equalsIgnoreCase(server.getScheme()) ? tls != null ? tls : defaultTls() : null;
        this.timeoutMs = timeout.toMillis();
        this.headers = Map.copyOf(headers);
        this.host = server.getHost() + ":" + server.getPort();
        this.maxConnections = maxConnections;
        bootstrap = new Bootstrap().group(group).channel(NioSocketChannel.class).remoteAddress(server.getHost(), server.getPort())
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) Math.min(timeoutMs, 5_000))
                .handler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        if (ssl != null) {
                            ch.pipeline().addLast(tlsHandler(ssl, ch, server.getHost(), server.getPort()));
                        }
                        ch.pipeline().addLast(new HttpClientCodec(), new HttpObjectAggregator(64 << 20), new Answers());
                    }
                });
    }

    private static SslContext defaultTls() {
        try {
            return SslContextBuilder.forClient().sslProvider(SslProvider.JDK).build();
        } catch (SSLException e) {
            throw new IllegalStateException("the JDK cannot make a TLS client: " + e.getMessage(), e);
        }
    }

    /** A TLS handler that checks the server's certificate names the host (sent as SNI unless it is an address). */
    private static SslHandler tlsHandler(SslContext ssl, SocketChannel ch, String host, int port) {
        SslHandler h = ssl.newHandler(ch.alloc(), host, port);
        SSLParameters p = h.engine().getSSLParameters();
        p.setEndpointIdentificationAlgorithm("HTTPS");
        if (!NetUtil.isValidIpV4Address(host) && !NetUtil.isValidIpV6Address(host)) {
            p.setServerNames(List.of(new SNIHostName(host)));
        }
        h.engine().setSSLParameters(p);
        return h;
    }

    /**
     * @param path a path with its query string (already encoded)
     * @return the response, once it has arrived (completed on the client's event loop)
     */
    public CompletableFuture<Response> get(String path) {
        return send(HttpMethod.GET, path, null);
    }

    /**
     * @param method the method
     * @param path   a path with its query string (already encoded)
     * @param body   the body, or {@code null}
     * @return the response, once it has arrived (completed on the client's event loop)
     */
    public CompletableFuture<Response> send(HttpMethod method, String path, byte[] body) {
        return send(method, path, body, Duration.ofMillis(timeoutMs));
    }

    /**
     * @param method  the method
     * @param path    a path with its query string (already encoded)
     * @param body    the body, or {@code null}
     * @param timeout how long it may wait for its response (then it fails)
     * @return the response, once it has arrived (completed on the client's event loop)
     */
    public CompletableFuture<Response> send(HttpMethod method, String path, byte[] body, Duration timeout) {
        FullHttpRequest r = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, method, path,
                body == null ? Unpooled.EMPTY_BUFFER : Unpooled.wrappedBuffer(body));
        r.headers().set(HttpHeaderNames.HOST, host).set(HttpHeaderNames.CONNECTION, HttpHeaderValues.KEEP_ALIVE)
                .set(HttpHeaderNames.CONTENT_LENGTH, body == null ? 0 : body.length);
        headers.forEach((k, v) -> r.headers().set(k, v));
        Pending p = new Pending(r, new CompletableFuture<>(), timeout.toMillis());
        group.execute(() -> dispatch(p));
        return p.result();
    }

    private void dispatch(Pending p) {
        Channel ch = idle.poll();
        if (ch != null) {
            fire(ch, p);
        } else if (connections < maxConnections) {
            connections++;
            ChannelFuture f = bootstrap.connect();
            f.addListener(x -> {
                if (x.isSuccess()) {
                    fire(f.channel(), p);
                } else {
                    connections--;
                    p.request().release();
                    p.result().completeExceptionally(new IOException("cannot connect to " + host + ": " + x.cause(), x.cause()));
                    next(null);
                }
            });
        } else {
            waiting.add(p);
        }
    }

    private void fire(Channel ch, Pending p) {
        ch.attr(IN_FLIGHT).set(p);
        ch.eventLoop().schedule(() -> {
            if (ch.attr(IN_FLIGHT).get() == p) {
                ch.attr(TIMED_OUT).set(true);
                ch.close(); // channelInactive fails the request
            }
        }, p.timeoutMs(), TimeUnit.MILLISECONDS);
        ch.writeAndFlush(p.request()).addListener(x -> {
            if (!x.isSuccess()) {
                ch.close(); // channelInactive fails the request
            }
        });
    }

    /** Gives a free connection (or, when one closed, the chance of a new one) to the next waiting request. */
    private void next(Channel freed) {
        Pending p = waiting.poll();
        if (p != null) {
            if (freed != null) {
                fire(freed, p);
            } else {
                dispatch(p);
            }
        } else if (freed != null) {
            idle.add(freed);
        }
    }

    private final class Answers extends SimpleChannelInboundHandler<FullHttpResponse> {
        @Override
        protected void channelRead0(ChannelHandlerContext ctx, FullHttpResponse res) {
            Pending p = ctx.channel().attr(IN_FLIGHT).getAndSet(null);
            if (p == null) {
                return;
            }
            p.result().complete(new Response(res.status().code(), res.content().toString(StandardCharsets.UTF_8)));
            next(ctx.channel());
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            connections--;
            idle.remove(ctx.channel());
            Pending p = ctx.channel().attr(IN_FLIGHT).getAndSet(null);
            if (p != null) {
                SslHandler tls = ctx.pipeline().get(SslHandler.class);
                Throwable failure = tls != null && tls.handshakeFuture().cause() != null ? tls.handshakeFuture().cause()
                        : ctx.channel().attr(FAILURE).get();
                p.result().completeExceptionally(new IOException(Boolean.TRUE.equals(ctx.channel().attr(TIMED_OUT).get())
                        ? "no response from " + host + " within " + p.timeoutMs() + " ms to " + p.request().method() + " " + p.request().uri()
                        : "connection to " + host + " closed before the response" + (failure == null ? "" : ": " + failure), failure));
            }
            next(null);
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            // (such as a failed TLS handshake: the pending request says why)
            ctx.channel().attr(FAILURE).setIfAbsent(cause instanceof DecoderException && cause.getCause() != null ? cause.getCause() : cause);
            ctx.close();
        }
    }

    @Override
    public void close() {
        group.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
    }
}
