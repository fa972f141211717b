package io.pequod.server.memento;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.LineBasedFrameDecoder;
import io.netty.handler.codec.TooLongFrameException;
import io.netty.handler.ssl.SslContext;
import io.pequod.schemas.Key;
import io.pequod.schemas.PequodException;
import io.pequod.server.internals.NettyListener;
import io.pequod.server.metrics.ServerMetrics;
import io.pequod.server.query.Commands;
import io.pequod.server.query.QueryException;
import io.pequod.server.query.QueryService;
import io.pequod.server.query.Stored;

import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Optional;

/**
 * memento's own text dialect: one command per line (CRLF or LF), replies in memento's forms —
 * {@code OK}, {@code (null)}, the value followed by CRLF, {@code (Unknown command)} — without
 * memento's faults: lines are framed (pipelining and split packets work), INC/DEC answer the new
 * value, arity and number errors answer {@code (error) ...} and the connection stays usable.
 */
public final class MementoFrontEnd implements AutoCloseable {
    private final QueryService service;
    private final ServerMetrics metrics;
    private final NettyListener listener = new NettyListener(1, 16);

    /**
     * @param service the query service
     * @param metrics metrics to record into
     */
    public MementoFrontEnd(QueryService service, ServerMetrics metrics) {
        this.service = service;
        this.metrics = metrics;
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
        return listener.bind(host, port, tls, pipeline -> pipeline.addLast(new LineBasedFrameDecoder(Key.MAX_VALUE_LENGTH + 2 * Key.MAX_LENGTH, true, true))
                .addLast(listener.workers(), new Handler(new Commands(service))));
    }

    @Override
    public void close() {
        listener.close();
    }

    private final class Handler extends SimpleChannelInboundHandler<ByteBuf> {
        private final Commands commands;

        Handler(Commands commands) {
            this.commands = commands;
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, ByteBuf line) {
            String text = line.toString(StandardCharsets.UTF_8);
            if (text.endsWith("\r")) {
                text = text.substring(0, text.length() - 1);
            }
            if (text.isBlank()) {
                return;
            }
            long t0 = System.nanoTime();
            String[] head = text.trim().split("\\s+", 3);
            String cmd = head[0].toUpperCase(Locale.ROOT);
            String reply;
            boolean failed = false;
            try {
                reply = execute(cmd, head);
            } catch (QueryException | IllegalArgumentException e) {
                failed = true;
                reply = "(error) " + e.getMessage();
            } catch (PequodException e) {
                failed = true;
                reply = "(error) " + e.getMessage();
            }
            metrics.record("memento", cmd.length() <= 10 ? cmd.toLowerCase(Locale.ROOT) : "other", System.nanoTime() - t0, failed);
            if (reply == null) {
                ctx.close();
                return;
            }
            ctx.writeAndFlush(Unpooled.wrappedBuffer((reply + "\r\n").getBytes(StandardCharsets.UTF_8)));
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            String why = cause instanceof TooLongFrameException ? "(error) line too long; closing" : "(error) " + cause.getMessage();
            if (ctx.channel().isActive()) {
                ctx.writeAndFlush(Unpooled.wrappedBuffer((why + "\r\n").getBytes(StandardCharsets.UTF_8)))
                        .addListener(ChannelFutureListener.CLOSE);
            }
        }

        private String execute(String cmd, String[] h) {
            switch (cmd) {
                case "SET":
                    need(h, 3, "SET <key> <value>");
                    commands.set(b(h[1]), b(h[2]));
                    return "OK";
                case "GET":
                    need(h, 2, "GET <key>");
                    return commands.get(b(h[1])).map(v -> new String(v, StandardCharsets.UTF_8)).orElse("(null)");
                case "DEL": {
                    need(h, 2, "DEL <key> [<key2> .. <keyN>]");
                    String[] keys = (h[1] + (h.length > 2 ? " " + h[2] : "")).trim().split("\\s+");
                    for (String k : keys) {
                        commands.delete(b(k));
                    }
                    return "OK";
                }
                case "INC":
                case "DEC": {
                    need(h, 2, cmd + " <key> [<qty>]");
                    long n = h.length > 2 ? parseLong(h[2].trim()) : 1;
                    return Long.toString(commands.incrementBy(b(h[1]), cmd.equals("INC") ? n : Math.negateExact(n)));
                }
                case "INCF":
                case "DECF": {
                    need(h, 2, cmd + " <key> [<qty>]");
                    String x = h.length > 2 ? h[2].trim() : "1.0";
                    try {
                        new BigDecimal(x);
                    } catch (NumberFormatException e) {
                        throw new IllegalArgumentException("'" + x + "' is not a number");
                    }
                    return commands.incrementByFloat(b(h[1]), cmd.equals("INCF") ? x : x.startsWith("-") ? x.substring(1) : "-" + x);
                }
                case "GETP": {
                    need(h, 2, "GETP <key>");
                    Optional<Stored> v = commands.getStored(b(h[1]));
                    return v.map(x -> "key: " + h[1] + "\r\nvalue: " + new String(x.value(), StandardCharsets.UTF_8)
                            + "\r\ncreation_time: " + seconds(x.createdAt()) + "\r\nexpire_time: " + seconds(x.expireAt()))
                            .orElse("(null)");
                }
                case "APPEND":
                    need(h, 3, "APPEND <key> <value>");
                    commands.append(b(h[1]), b(h[2]));
                    return "OK";
                case "PREPEND":
                    need(h, 3, "PREPEND <key> <value>");
                    commands.prepend(b(h[1]), b(h[2]));
                    return "OK";
                case "FLUSH":
                    commands.flush();
                    return "OK";
                case "QUIT":
                case "EXIT":
                    return null;
                default:
                    return "(Unknown command)";
            }
        }
    }

    private static void need(String[] h, int n, String usage) {
        if (h.length < n) {
            throw new IllegalArgumentException("wrong number of arguments; usage: " + usage);
        }
    }

    private static long parseLong(String s) {
        try {
            return Long.parseLong(s);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("'" + s + "' is not an integer");
        }
    }

    /** @return milliseconds since the epoch in whole seconds, or -1 for {@code null} (memento's "none") */
    private static long seconds(Long millis) {
        return millis == null ? -1 : millis / 1000;
    }

    private static byte[] b(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

}
