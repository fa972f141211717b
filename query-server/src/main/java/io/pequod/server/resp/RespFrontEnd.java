package io.pequod.server.resp;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.redis.ArrayHeaderRedisMessage;
import io.netty.handler.codec.redis.ArrayRedisMessage;
import io.netty.handler.codec.redis.BulkStringHeaderRedisMessage;
import io.netty.handler.codec.redis.BulkStringRedisContent;
import io.netty.handler.codec.redis.ErrorRedisMessage;
import io.netty.handler.codec.redis.FixedRedisMessagePool;
import io.netty.handler.codec.redis.FullBulkStringRedisMessage;
import io.netty.handler.codec.redis.InlineCommandRedisMessage;
import io.netty.handler.codec.redis.LastBulkStringRedisContent;
import io.netty.handler.codec.redis.RedisBulkStringAggregator;
import io.netty.handler.codec.redis.RedisDecoder;
import io.netty.handler.codec.redis.RedisEncoder;
import io.netty.handler.codec.redis.RedisMessage;
import io.netty.handler.codec.redis.SimpleStringRedisMessage;
import io.netty.handler.ssl.SslContext;
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
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The Redis protocol (RESP2, pipelining, inline commands) on Netty: Redis' string commands,
 * memento's commands, and {@code PQSCAN}/{@code PQCOUNT} for ranges. Wrong arity, unknown commands
 * and bad values answer {@code -ERR ...} and the connection stays usable, as it does after a value
 * over the limit; malformed frames close only that connection. Commands of one connection run in order on a worker thread;
 * writes are pipelined (see the connection handler).
 */
public final class RespFrontEnd implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(RespFrontEnd.class);
    private static final int MAX_INLINE = 64 * 1024;
    private static final AtomicLong CLIENT_IDS = new AtomicLong();
    /** An argument {@link SizeGuard} skipped (compared by identity). */
    private static final byte[] TOO_BIG_ARGUMENT = new byte[0];

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
        int bound = listener.bind(host, port, tls, pipeline -> pipeline
                .addLast(new RedisDecoder(MAX_INLINE, FixedRedisMessagePool.INSTANCE, true))
                .addLast(new SizeGuard())
                .addLast(new RedisBulkStringAggregator())
                .addLast(new CommandAggregator())
                .addLast(new RedisEncoder())
                .addLast(new Resp3Encoder()) // before Netty's encoder on the way out: a RESP3 connection's replies
                .addLast(new Handler(new Commands(service), listener.workers().next())));
        commandTable.info().port(bound);
        return bound;
    }

    @Override
    public void close() {
        listener.close();
    }

    /**
     * Skips bulk strings larger than a value may be: their bytes are dropped as they arrive (memory
     * stays bounded) and the command they belong to is answered with an error, the connection
     * staying usable. An array header announcing more elements than any command takes closes the
     * connection (Netty's aggregator would reserve room for all of them).
     */
    static final class SizeGuard extends ChannelInboundHandlerAdapter {
        /** Stands for a skipped bulk string in the command's arguments. */
        static final FullBulkStringRedisMessage TOO_BIG = new FullBulkStringRedisMessage(
                Unpooled.unreleasableBuffer(Unpooled.wrappedBuffer(new byte[] {0})));
        private static final int MAX_ARGUMENTS = 1024 * 1024;
        private boolean skipping;

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (skipping && msg instanceof BulkStringRedisContent) {
                boolean last = msg instanceof LastBulkStringRedisContent;
                ReferenceCountUtil.release(msg);
                if (last) {
                    skipping = false;
                    ctx.fireChannelRead(TOO_BIG);
                }
                return;
            }
            if (msg instanceof BulkStringHeaderRedisMessage h && h.bulkStringLength() > Key.MAX_VALUE_LENGTH + 1024) {
                ReferenceCountUtil.release(msg);
                skipping = true;
                return;
            }
            if (msg instanceof ArrayHeaderRedisMessage h && h.length() > MAX_ARGUMENTS) {
                ReferenceCountUtil.release(msg);
                // through the whole pipeline (the encoder sits after this handler)
                ctx.channel().writeAndFlush(new ErrorRedisMessage("ERR Protocol error: invalid multibulk length " + h.length()
                        + " (at most " + MAX_ARGUMENTS + "); closing the connection")).addListener(ChannelFutureListener.CLOSE);
                ctx.channel().config().setAutoRead(false);
                return;
            }
            ctx.fireChannelRead(msg);
        }
    }

    /**
     * One connection. Commands execute in order on the connection's worker; replies go out in the
     * order of the requests. A write ({@code SET}, {@code DEL}, {@code INCR}, {@code APPEND}...)
     * does not hold its worker while Kafka acknowledges it (or, for a read-modify-write, while the
     * key's owner applies it): it is handed to the producer and answered from the callback, so a
     * client that pipelines SETs has many in flight. Any other command (a read, or a write that reads
     * first or may be applied by another instance) waits until every earlier write of the connection
     * is answered (read-your-writes, and log order).
     */
    private final class Handler extends SimpleChannelInboundHandler<RedisMessage> implements RespCommands.Session {
        private static final int MAX_QUEUED_REPLIES = 4096;
        private final Commands commands;
        private final EventExecutor worker;
        /** Replies not yet sent, in request order (event loop only). */
        private final ArrayDeque<CompletableFuture<RedisMessage>> replies = new ArrayDeque<>();
        /** Completes once every earlier command has run (a write: handed to the producer). */
        private CompletableFuture<Void> executed = CompletableFuture.completedFuture(null);
        /** Completes once every earlier command is answered (a write: acknowledged or failed). */
        private CompletableFuture<Void> answered = CompletableFuture.completedFuture(null);
        private volatile boolean authenticated = authToken == null;
        private final long id = CLIENT_IDS.incrementAndGet();
        private volatile String name;
        private volatile int protocol = 2;
        private ChannelHandlerContext ctx;

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
        public long clientId() {
            return id;
        }

        @Override
        public String clientName() {
            return name;
        }

        @Override
        public void clientName(String n) {
            name = n;
        }

        @Override
        public int protocol() {
            return protocol;
        }

        @Override
        public void protocol(int version) {
            protocol = version;
        }

        /**
         * @return the reply as the connection's protocol writes it, decided when the command ran (a
         *     reply waiting to be sent is not changed by a later HELLO); {@link RespCommands#QUIT} as it is
         */
        private RedisMessage spoken(RedisMessage m, int version) {
            return version == 3 && m != RespCommands.QUIT ? new Resp3Encoder.Reply(m) : m;
        }

        @Override
        public void handlerAdded(ChannelHandlerContext c) {
            this.ctx = c;
        }

        @Override
        public void channelActive(ChannelHandlerContext c) throws Exception {
            commandTable.info().opened();
            super.channelActive(c);
        }

        @Override
        public void channelInactive(ChannelHandlerContext c) throws Exception {
            commandTable.info().closed();
            super.channelInactive(c);
        }

        @Override
        protected void channelRead0(ChannelHandlerContext c, RedisMessage msg) {
            List<byte[]> args = arguments(msg);
            String name = commandName(args);
            commandTable.info().command();
            if (args != null && args.stream().anyMatch(a -> a == TOO_BIG_ARGUMENT)) {
                replies.add(answered.handle((x, e) -> new ErrorRedisMessage("ERR string exceeds maximum allowed size "
                        + "(proto-max-bulk-len): Pequod's values are at most " + Key.MAX_VALUE_LENGTH + " bytes")));
                replies.peekLast().whenComplete((r, e) -> c.executor().execute(this::sendReady));
                return;
            }
            // A GET that needs no waiting is answered on the event loop if nothing of this
            // connection is still running (replies keep the order of requests).
            if (replies.isEmpty() && authenticated && "GET".equals(name) && args.size() == 2) {
                long t0 = System.nanoTime();
                Optional<byte[]> v;
                try {
                    v = service.getNow(args.get(1));
                } catch (RuntimeException e) {
                    v = null;
                }
                if (v != null) {
                    c.writeAndFlush(spoken(v.map(RespCommands::bulk).orElse(FullBulkStringRedisMessage.NULL_INSTANCE), protocol));
                    metrics.record("resp", "get", System.nanoTime() - t0, false);
                    return;
                }
            }
            CompletableFuture<RedisMessage> reply;
            if (authenticated && name != null && commandTable.isWrite(name)) {
                // Runs once the earlier commands ran (their writes handed over, in order); one that
                // reads first waits until they are answered. Either way the worker is free at once.
                CompletableFuture<?> after = commandTable.readsFirst(name, args) ? answered.handle((x, e) -> null) : executed;
                CompletableFuture<CompletableFuture<RedisMessage>> sent = after.thenApplyAsync(x -> write(name, args), worker);
                executed = sent.thenApply(x -> null);
                reply = sent.thenCompose(f -> f);
                answered = CompletableFuture.allOf(answered, reply);
            } else {
                reply = answered.handle((x, e) -> null).thenApplyAsync(x -> process(name, args), worker);
                answered = reply.thenApply(x -> null);
                executed = answered;
            }
            reply = reply.exceptionally(e -> error("?", e)); // a closing worker, say
            replies.add(reply);
            if (replies.size() >= MAX_QUEUED_REPLIES) {
                c.channel().config().setAutoRead(false); // a client far ahead of its replies waits
            }
            reply.whenComplete((r, e) -> c.executor().execute(this::sendReady));
        }

        /** Sends the replies that are ready, in order (on the event loop). */
        private void sendReady() {
            boolean wrote = false;
            while (!replies.isEmpty() && replies.peek().isDone()) {
                RedisMessage r = replies.poll().join();
                if (r == RespCommands.QUIT) {
                    ctx.writeAndFlush(new SimpleStringRedisMessage("OK")).addListener(ChannelFutureListener.CLOSE);
                    return;
                }
                ctx.write(r);
                wrote = true;
            }
            if (wrote) {
                ctx.flush();
            }
            if (replies.size() < MAX_QUEUED_REPLIES / 2 && !ctx.channel().config().isAutoRead()) {
                ctx.channel().config().setAutoRead(true);
            }
        }

        /** Runs a write command; @return its reply, once Kafka acknowledged it (an error reply if it failed, never a failed future) */
        private CompletableFuture<RedisMessage> write(String name, List<byte[]> args) {
            long t0 = System.nanoTime();
            int version = protocol;
            CompletableFuture<RedisMessage> r;
            try {
                r = commandTable.executeWrite(this, name, args);
            } catch (RuntimeException e) {
                r = CompletableFuture.failedFuture(e);
            }
            String metric = name.toLowerCase(Locale.ROOT);
            return r.exceptionally(e -> error(name, e))
                    .whenComplete((m, e) -> metrics.record("resp", metric, System.nanoTime() - t0, m instanceof ErrorRedisMessage))
                    .thenApply(m -> spoken(m, version));
        }

        /** Runs a command on the worker; @return its reply (an error reply rather than an exception) */
        private RedisMessage process(String name, List<byte[]> args) {
            if (name == null) {
                return new ErrorRedisMessage("ERR Protocol error: expected an array of bulk strings");
            }
            long t0 = System.nanoTime();
            RedisMessage reply;
            try {
                reply = commandTable.execute(this, name, args);
            } catch (RuntimeException e) {
                reply = error(name, e);
            }
            metrics.record("resp", name.length() <= 16 ? name.toLowerCase(Locale.ROOT) : "other", System.nanoTime() - t0,
                    reply instanceof ErrorRedisMessage);
            return spoken(reply, protocol); // after the command: HELLO 3 is answered in RESP3
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

    /** @return the error reply for a command's failure (a warning in the log only for an internal error) */
    static ErrorRedisMessage error(String command, Throwable e) {
        if (e instanceof CompletionException && e.getCause() != null) {
            e = e.getCause(); // a write's future failed
        }
        if (e instanceof QueryException q) {
            return new ErrorRedisMessage((q.kind() == Failure.Kind.UNAVAILABLE ? "TRYAGAIN " : "ERR ") + q.getMessage());
        }
        if (e instanceof PequodException || e instanceof IllegalArgumentException) {
            return new ErrorRedisMessage("ERR " + e.getMessage());
        }
        LOG.warn("Internal error on RESP command {}", command, e);
        return new ErrorRedisMessage("ERR internal error: " + e);
    }

    /** @return the command's name in upper case, or {@code null} for a frame that is not a command */
    private static String commandName(List<byte[]> args) {
        return args == null || args.isEmpty() ? null : new String(args.get(0), StandardCharsets.UTF_8).toUpperCase(Locale.ROOT);
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
            if (child == SizeGuard.TOO_BIG) {
                out.add(TOO_BIG_ARGUMENT);
            } else if (child instanceof FullBulkStringRedisMessage b && !b.isNull()) {
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
