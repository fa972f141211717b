package io.pequod.server.resp;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
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
import io.netty.handler.codec.redis.IntegerRedisMessage;
import io.netty.handler.codec.redis.RedisArrayAggregator;
import io.netty.handler.codec.redis.RedisBulkStringAggregator;
import io.netty.handler.codec.redis.RedisDecoder;
import io.netty.handler.codec.redis.RedisEncoder;
import io.netty.handler.codec.redis.RedisMessage;
import io.netty.handler.codec.redis.SimpleStringRedisMessage;
import io.netty.util.ReferenceCountUtil;
import io.pequod.schemas.Key;
import io.pequod.schemas.PequodException;
import io.pequod.server.query.Commands;
import io.pequod.server.query.Entry;
import io.pequod.server.query.QueryException;
import io.pequod.server.query.QueryService;
import io.pequod.server.query.ScanResult;
import io.pequod.server.metrics.ServerMetrics;
import io.pequod.server.internals.NettyListener;
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

    /**
     * @param service   the query service
     * @param metrics   metrics to record into
     * @param authToken shared secret required with AUTH, or {@code null}
     */
    public RespFrontEnd(QueryService service, ServerMetrics metrics, String authToken) {
        this.service = service;
        this.metrics = metrics;
        this.authToken = authToken;
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

    private final class Handler extends SimpleChannelInboundHandler<RedisMessage> {
        private final Commands commands;
        private final io.netty.util.concurrent.EventExecutor worker;
        /** Commands handed to the worker and not yet answered: later replies must wait their turn. */
        private int pending;
        private volatile boolean authenticated = authToken == null;

        Handler(Commands commands, io.netty.util.concurrent.EventExecutor worker) {
            this.commands = commands;
            this.worker = worker;
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
                    ctx.writeAndFlush(v.map(RespFrontEnd::bulk).orElse(FullBulkStringRedisMessage.NULL_INSTANCE));
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
                reply = execute(ctx, name, args);
            } catch (QueryException e) {
                failed = true;
                reply = new ErrorRedisMessage((e.status() == 503 ? "TRYAGAIN " : "ERR ") + e.getMessage());
            } catch (PequodException | IllegalArgumentException e) {
                failed = true;
                reply = new ErrorRedisMessage("ERR " + e.getMessage());
            } catch (RuntimeException e) {
                failed = true;
                LOG.warn("Internal error on RESP command {}", name, e);
                reply = new ErrorRedisMessage("ERR internal error: " + e);
            }
            metrics.record("resp", name.length() <= 16 ? name.toLowerCase(Locale.ROOT) : "other", System.nanoTime() - t0, failed);
            if (reply == QUIT) {
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

        private RedisMessage execute(ChannelHandlerContext ctx, String name, List<byte[]> a) {
            if (!authenticated && !name.equals("AUTH") && !name.equals("QUIT") && !name.equals("HELLO")) {
                return new ErrorRedisMessage("NOAUTH Authentication required.");
            }
            switch (name) {
                case "PING":
                    arity(a, 1, 2, name);
                    return a.size() == 2 ? bulk(a.get(1)) : new SimpleStringRedisMessage("PONG");
                case "ECHO":
                    arity(a, 2, 2, name);
                    return bulk(a.get(1));
                case "QUIT":
                case "EXIT":
                    return QUIT;
                case "AUTH": {
                    arity(a, 2, 3, name);
                    byte[] pw = a.get(a.size() - 1);
                    if (authToken == null) {
                        return new ErrorRedisMessage("ERR AUTH <password> called without any password configured for the default user");
                    }
                    authenticated = authToken.equals(new String(pw, StandardCharsets.UTF_8));
                    return authenticated ? ok() : new ErrorRedisMessage("WRONGPASS invalid username-password pair or user is disabled.");
                }
                case "SELECT":
                case "CLIENT":
                    return ok();
                case "COMMAND":
                case "CONFIG":
                    return new ArrayRedisMessage(List.of());
                case "INFO":
                    return bulk(("# Server\r\nredis_version:7.0.0-pequod\r\npequod_mode:kafka\r\n# Keyspace\r\n")
                            .getBytes(StandardCharsets.UTF_8));
                case "GET":
                    arity(a, 2, 2, name);
                    return commands.get(a.get(1)).map(RespFrontEnd::bulk).orElse(FullBulkStringRedisMessage.NULL_INSTANCE);
                case "GETP": {
                    arity(a, 2, 2, name);
                    Optional<byte[]> v = commands.get(a.get(1));
                    if (v.isEmpty()) {
                        return FullBulkStringRedisMessage.NULL_INSTANCE;
                    }
                    return new ArrayRedisMessage(List.of(bulk(a.get(1)), bulk(v.get()), new IntegerRedisMessage(-1),
                            new IntegerRedisMessage(-1)));
                }
                case "MGET": {
                    arity(a, 2, Integer.MAX_VALUE, name);
                    List<RedisMessage> out = new ArrayList<>();
                    for (int i = 1; i < a.size(); i++) {
                        out.add(commands.get(a.get(i)).map(RespFrontEnd::bulk).orElse(FullBulkStringRedisMessage.NULL_INSTANCE));
                    }
                    return new ArrayRedisMessage(out);
                }
                case "EXISTS": {
                    arity(a, 2, Integer.MAX_VALUE, name);
                    long n = 0;
                    for (int i = 1; i < a.size(); i++) {
                        n += commands.get(a.get(i)).isPresent() ? 1 : 0;
                    }
                    return new IntegerRedisMessage(n);
                }
                case "SET":
                    if (a.size() != 3) {
                        return a.size() < 3 ? wrongArity(name) : new ErrorRedisMessage("ERR syntax error: SET options (EX, PX, NX, XX...) are not supported");
                    }
                    commands.set(a.get(1), a.get(2));
                    return ok();
                case "DEL": {
                    arity(a, 2, Integer.MAX_VALUE, name);
                    long n = 0;
                    for (int i = 1; i < a.size(); i++) {
                        n += commands.delete(a.get(i)) ? 1 : 0;
                    }
                    return new IntegerRedisMessage(n);
                }
                case "INCR":
                    arity(a, 2, 2, name);
                    return new IntegerRedisMessage(commands.incrementBy(a.get(1), 1));
                case "DECR":
                    arity(a, 2, 2, name);
                    return new IntegerRedisMessage(commands.incrementBy(a.get(1), -1));
                case "INCRBY":
                    arity(a, 3, 3, name);
                    return new IntegerRedisMessage(commands.incrementBy(a.get(1), integer(a.get(2))));
                case "DECRBY":
                    arity(a, 3, 3, name);
                    return new IntegerRedisMessage(commands.incrementBy(a.get(1), Math.negateExact(integer(a.get(2)))));
                case "INC":
                case "DEC": {
                    arity(a, 2, 3, name);
                    long n = a.size() == 3 ? integer(a.get(2)) : 1;
                    return new IntegerRedisMessage(commands.incrementBy(a.get(1), name.equals("INC") ? n : Math.negateExact(n)));
                }
                case "INCRBYFLOAT":
                    arity(a, 3, 3, name);
                    return bulk(commands.incrementByFloat(a.get(1), decimal(a.get(2))).getBytes(StandardCharsets.US_ASCII));
                case "INCF":
                case "DECF": {
                    arity(a, 2, 3, name);
                    String x = a.size() == 3 ? decimal(a.get(2)) : "1";
                    String amount = name.equals("INCF") ? x : x.startsWith("-") ? x.substring(1) : "-" + x;
                    return bulk(commands.incrementByFloat(a.get(1), amount).getBytes(StandardCharsets.US_ASCII));
                }
                case "APPEND":
                    arity(a, 3, 3, name);
                    return new IntegerRedisMessage(commands.append(a.get(1), a.get(2)).length);
                case "PREPEND":
                    arity(a, 3, 3, name);
                    return new IntegerRedisMessage(commands.prepend(a.get(1), a.get(2)).length);
                case "FLUSH":
                case "FLUSHDB":
                case "FLUSHALL":
                    arity(a, 1, 2, name);
                    commands.flush();
                    return ok();
                case "PQSCAN": {
                    if (a.size() != 3 && !(a.size() == 5 && "LIMIT".equalsIgnoreCase(new String(a.get(3), StandardCharsets.UTF_8)))) {
                        return new ErrorRedisMessage("ERR wrong number of arguments for 'pqscan' command: PQSCAN first last [LIMIT n]");
                    }
                    Integer limit = a.size() == 5 ? (int) integer(a.get(4)) : null;
                    ScanResult r = commands.scan(a.get(1), a.get(2), limit);
                    List<RedisMessage> kv = new ArrayList<>();
                    for (Entry e : r.entries()) {
                        kv.add(bulk(e.key()));
                        kv.add(bulk(e.value()));
                    }
                    return new ArrayRedisMessage(List.of(new IntegerRedisMessage(r.more() ? 1 : 0), new ArrayRedisMessage(kv)));
                }
                case "PQCOUNT":
                    arity(a, 3, 3, name);
                    return new IntegerRedisMessage(commands.count(a.get(1), a.get(2)));
                default:
                    return new ErrorRedisMessage("ERR unknown command '" + abbreviate(name) + "'");
            }
        }
    }

    private static final RedisMessage QUIT = new SimpleStringRedisMessage("QUIT");

    private static RedisMessage ok() {
        return new SimpleStringRedisMessage("OK");
    }

    private static RedisMessage wrongArity(String name) {
        return new ErrorRedisMessage("ERR wrong number of arguments for '" + name.toLowerCase(Locale.ROOT) + "' command");
    }

    private static void arity(List<byte[]> a, int min, int max, String name) {
        if (a.size() < min || a.size() > max) {
            throw new IllegalArgumentException("wrong number of arguments for '" + name.toLowerCase(Locale.ROOT) + "' command");
        }
    }

    private static long integer(byte[] b) {
        try {
            return Long.parseLong(new String(b, StandardCharsets.US_ASCII));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("value is not an integer or out of range");
        }
    }

    private static String decimal(byte[] b) {
        String s = new String(b, StandardCharsets.US_ASCII).trim();
        try {
            new java.math.BigDecimal(s);
            return s;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("value is not a valid float");
        }
    }

    private static String abbreviate(String s) {
        return s.length() > 40 ? s.substring(0, 40) + "..." : s;
    }

    static FullBulkStringRedisMessage bulk(byte[] b) {
        return new FullBulkStringRedisMessage(Unpooled.wrappedBuffer(b));
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
