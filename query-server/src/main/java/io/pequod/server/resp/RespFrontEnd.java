package io.pequod.server.resp;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.redis.ArrayRedisMessage;
import io.netty.handler.codec.redis.BulkStringHeaderRedisMessage;
import io.netty.handler.codec.redis.ErrorRedisMessage;
import io.netty.handler.codec.redis.FixedRedisMessagePool;
import io.netty.handler.codec.redis.FullBulkStringRedisMessage;
import io.netty.handler.codec.redis.InlineCommandRedisMessage;
import io.netty.handler.codec.redis.RedisArrayAggregator;
import io.netty.handler.codec.redis.RedisBulkStringAggregator;
import io.netty.handler.codec.redis.RedisDecoder;
import io.netty.handler.codec.redis.RedisEncoder;
import io.netty.handler.codec.redis.RedisMessage;
import io.netty.handler.codec.redis.SimpleStringRedisMessage;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.EventExecutor;
import io.pequod.schemas.Key;
import io.pequod.schemas.PequodException;
import io.pequod.server.internals.NettyListener;
import io.pequod.server.metrics.ServerMetrics;
import io.pequod.server.query.Commands;
import io.pequod.server.query.Failure;
import io.pequod.server.query.QueryException;
import io.pequod.server.query.QueryService;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * The Redis protocol (RESP2, pipelining, inline commands) on Netty: Redis' string commands,
 * memento's commands, and {@code PQSCAN}/{@code PQCOUNT} for ranges. Wrong arity, unknown commands
 * and bad values answer {@code -ERR ...} and the connection stays usable; oversized or malformed
 * frames close only that connection. Commands of one connection run in order on a worker thread.
 */
public final class RespFrontEnd implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(RespFrontEnd.class);
    private static final int MAX_INLINE = 64 * 1024;

    private final QueryService service;
    private final ServerMetrics metrics;
    private final String authToken;
    private final NettyListener listener = new NettyListener(2, 64);
    private final RespCommands commandTable;

    /**
     * @param service   the query service
     * @param metrics   metrics to record into
     * @param authToken shared secret required with AUTH, or {@code null}
     */
    public RespFrontEnd(QueryService service, ServerMetrics metrics, String authToken) {
        this.service = service;
        this.metrics = metrics;
        this.authToken = authToken;
        this.commandTable = new RespCommands(authToken);
    }

    /**
     * @param host address to bind
     * @param port port, 0 for a free one
     * @return the bound port
     * @throws InterruptedException if interrupted while binding
     */
    public int start(String host, int port) throws InterruptedException {
        return listener.bind(host, port, pipeline -> pipeline.addLast(new RedisDecoder(MAX_INLINE, FixedRedisMessagePool.INSTANCE, true))
                .addLast(new SizeGuard())
                .addLast(new RedisBulkStringAggregator())
                .addLast(new RedisArrayAggregator())
                .addLast(new RedisEncoder())
                .addLast(new Handler(new Commands(service), listener.workers().next())));
    }

    @Override
    public void close() {
        listener.close();
    }

    /** Refuses bulk strings larger than a value may be, closing only this connection. */
    static final class SizeGuard extends ChannelInboundHandlerAdapter {
        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (msg instanceof BulkStringHeaderRedisMessage h && h.bulkStringLength() > Key.MAX_VALUE_LENGTH + 1024) {
                ReferenceCountUtil.release(msg);
                // through the whole pipeline (the encoder sits after this handler)
                ctx.channel().writeAndFlush(new ErrorRedisMessage("ERR bulk string of " + h.bulkStringLength()
                        + " bytes exceeds the 1 MiB value limit; closing the connection")).addListener(ChannelFutureListener.CLOSE);
                ctx.channel().config().setAutoRead(false);
                return;
            }
            ctx.fireChannelRead(msg);
        }
    }

    private final class Handler extends SimpleChannelInboundHandler<RedisMessage> implements RespCommands.Session {
        private final Commands commands;
        private final EventExecutor worker;
        /** Commands handed to the worker and not yet answered: later replies must wait their turn. */
        private int pending;
        private volatile boolean authenticated = authToken == null;

        Handler(Commands commands, EventExecutor worker) {
            this.commands = commands;
            this.worker = worker;
        }

        @Override
        public Commands commands() {
            return commands;
        }

        @Override
        public boolean authenticated() {
            return authenticated;
        }

        @Override
        public void authenticated(boolean yes) {
            authenticated = yes;
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, RedisMessage msg) {
            List<byte[]> args = arguments(msg);
            // A GET that needs no waiting is answered on the event loop, if no earlier command of this
            // connection is still running (replies keep the order of requests).
            if (pending == 0 && authenticated && args != null && args.size() == 2
                    && new String(args.get(0), StandardCharsets.US_ASCII).equalsIgnoreCase("GET")) {
                long t0 = System.nanoTime();
                Optional<byte[]> v;
                try {
                    v = service.getNow(args.get(1));
                } catch (RuntimeException e) {
                    v = null;
                }
                if (v != null) {
                    ctx.writeAndFlush(v.map(RespCommands::bulk).orElse(FullBulkStringRedisMessage.NULL_INSTANCE));
                    metrics.record("resp", "get", System.nanoTime() - t0, false);
                    return;
                }
            }
            pending++;
            worker.execute(() -> {
                try {
                    process(ctx, args);
                } finally {
                    ctx.channel().eventLoop().execute(() -> pending--);
                }
            });
        }

        private void process(ChannelHandlerContext ctx, List<byte[]> args) {
            if (args == null || args.isEmpty()) {
                ctx.writeAndFlush(new ErrorRedisMessage("ERR Protocol error: expected an array of bulk strings"));
                return;
            }
            String name = new String(args.get(0), StandardCharsets.UTF_8).toUpperCase(Locale.ROOT);
            long t0 = System.nanoTime();
            RedisMessage reply;
            boolean failed = false;
            try {
                reply = commandTable.execute(this, name, args);
            } catch (QueryException e) {
                failed = true;
                reply = new ErrorRedisMessage((e.kind() == Failure.Kind.UNAVAILABLE ? "TRYAGAIN " : "ERR ") + e.getMessage());
            } catch (PequodException | IllegalArgumentException e) {
                failed = true;
                reply = new ErrorRedisMessage("ERR " + e.getMessage());
            } catch (RuntimeException e) {
                failed = true;
                LOG.warn("Internal error on RESP command {}", name, e);
                reply = new ErrorRedisMessage("ERR internal error: " + e);
            }
            metrics.record("resp", name.length() <= 16 ? name.toLowerCase(Locale.ROOT) : "other", System.nanoTime() - t0, failed);
            if (reply == RespCommands.QUIT) {
                ctx.writeAndFlush(new SimpleStringRedisMessage("OK")).addListener(ChannelFutureListener.CLOSE);
            } else {
                ctx.writeAndFlush(reply);
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            LOG.debug("Closing RESP connection: {}", cause.toString());
            if (ctx.channel().isActive()) {
                ctx.writeAndFlush(new ErrorRedisMessage("ERR Protocol error: " + cause.getMessage()))
                        .addListener(ChannelFutureListener.CLOSE);
            }
        }
    }

    static List<byte[]> arguments(RedisMessage msg) {
        if (msg instanceof InlineCommandRedisMessage inline) {
            List<byte[]> out = new ArrayList<>();
            for (String s : inline.content().trim().split("\\s+")) {
                if (!s.isEmpty()) {
                    out.add(s.getBytes(StandardCharsets.UTF_8));
                }
            }
            return out;
        }
        if (!(msg instanceof ArrayRedisMessage arr) || arr.isNull()) {
            return null;
        }
        List<byte[]> out = new ArrayList<>(arr.children().size());
        for (RedisMessage child : arr.children()) {
            if (child instanceof FullBulkStringRedisMessage b && !b.isNull()) {
                ByteBuf c = b.content();
                out.add(ByteBufUtil.getBytes(c));
            } else if (child instanceof SimpleStringRedisMessage s) {
                out.add(s.content().getBytes(StandardCharsets.UTF_8));
            } else {
                return null;
            }
        }
        return out;
    }
}
