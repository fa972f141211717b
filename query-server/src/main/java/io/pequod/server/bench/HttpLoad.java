package io.pequod.server.bench;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioEventLoopGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.util.AttributeKey;
import io.pequod.ingest.Progress;

import java.net.URI;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * An open-loop HTTP load generator on one Netty event loop, light enough to share the machine
 * with the server it measures (the JDK's HttpClient took a third of 2 cores at 1,000 requests/s
 * and allocated ~30 KB per request). Requests are sent at a fixed rate over keep-alive
 * connections, one request in flight per connection; a connection is opened when none is idle.
 * A request's latency counts from when it was due, so a stall on either side is not hidden.
 */
final class HttpLoad implements AutoCloseable {
    private static final AttributeKey<Long> DUE = AttributeKey.valueOf("pequod.due");
    private static final int MAX_CONNECTIONS = 256;
    private final EventLoopGroup group = new NioEventLoopGroup(1);
    private final Bootstrap bootstrap;
    private final FullHttpRequest request;
    // The fields below are touched on the event loop only.
    private final ArrayDeque<Channel> idle = new ArrayDeque<>();
    private final ArrayDeque<Long> waiting = new ArrayDeque<>();
    private int connections;
    private List<Double> latencies;
    private long errors;
    private CountDownLatch done;

    /** @param url the URL every request GETs */
    HttpLoad(URI url) {
        String host = url.getHost();
        int port = url.getPort();
        request = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, url.getRawPath()
                + (url.getRawQuery() == null ? "" : "?" + url.getRawQuery()));
        request.headers().set(HttpHeaderNames.HOST, host + ":" + port)
                .set(HttpHeaderNames.CONNECTION, HttpHeaderValues.KEEP_ALIVE)
                .set(HttpHeaderNames.CONTENT_LENGTH, 0);
        bootstrap = new Bootstrap().group(group).channel(NioSocketChannel.class).remoteAddress(host, port)
                .handler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        ch.pipeline().addLast(new HttpClientCodec(), new HttpObjectAggregator(16 << 20), new Answers());
                    }
                });
    }

    /** What one run measured. */
    record Result(List<Double> latenciesMs, long errors) {
    }

    /**
     * @param rate    requests per second
     * @param seconds how long
     * @param label   for the progress bar
     * @return every request's latency in ms (unsorted) and the number of failed requests
     * @throws InterruptedException if interrupted
     */
    Result run(int rate, int seconds, String label) throws InterruptedException {
        int total = rate * seconds;
        CountDownLatch latch = new CountDownLatch(total);
        List<Double> ms = new ArrayList<>(total);
        group.submit(() -> {
            latencies = ms;
            errors = 0;
            done = latch;
        }).syncUninterruptibly();
        long interval = 1_000_000_000L / rate;
        long start = System.nanoTime();
        Progress bar = new Progress(System.err, "bench scan: " + label, "requests", total, true);
        for (int i = 0; i < total; i++) {
            long due = start + i * interval;
            long wait = due - System.nanoTime();
            if (wait > 0) {
                LockSupport.parkNanos(wait);
            }
            group.execute(() -> send(due));
            bar.update(i, i);
        }
        if (!latch.await(2, TimeUnit.MINUTES)) {
            throw new IllegalStateException("bench scan: " + latch.getCount() + " requests unanswered after 2 minutes");
        }
        bar.finish(total, total);
        long[] failed = new long[1];
        group.submit(() -> failed[0] = errors).syncUninterruptibly();
        return new Result(ms, failed[0]);
    }

    private void send(long due) {
        Channel ch = idle.poll();
        if (ch != null) {
            fire(ch, due);
        } else if (connections < MAX_CONNECTIONS) {
            connections++;
            ChannelFuture f = bootstrap.connect();
            f.addListener(x -> {
                if (x.isSuccess()) {
                    fire(f.channel(), due);
                } else {
                    connections--;
                    failed();
                }
            });
        } else {
            waiting.add(due);
        }
    }

    private void fire(Channel ch, long due) {
        ch.attr(DUE).set(due);
        ch.writeAndFlush(request.retainedDuplicate()).addListener(x -> {
            if (!x.isSuccess()) {
                ch.close();
            }
        });
    }

    private void failed() {
        errors++;
        done.countDown();
    }

    private void released(Channel ch) {
        Long next = waiting.poll();
        if (next != null) {
            fire(ch, next);
        } else {
            idle.add(ch);
        }
    }

    private final class Answers extends SimpleChannelInboundHandler<FullHttpResponse> {
        @Override
        protected void channelRead0(ChannelHandlerContext ctx, FullHttpResponse res) {
            Long due = ctx.channel().attr(DUE).getAndSet(null);
            if (due == null) {
                return;
            }
            if (res.status().code() == 200) {
                latencies.add((System.nanoTime() - due) / 1e6);
                done.countDown();
            } else {
                failed();
            }
            released(ctx.channel());
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            connections--;
            idle.remove(ctx.channel());
            if (ctx.channel().attr(DUE).getAndSet(null) != null) {
                failed();
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close();
        }
    }

    @Override
    public void close() {
        request.release();
        group.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
    }
}
