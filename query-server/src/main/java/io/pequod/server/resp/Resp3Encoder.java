package io.pequod.server.resp;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.EncoderException;
import io.netty.handler.codec.MessageToByteEncoder;
import io.netty.handler.codec.redis.ArrayRedisMessage;
import io.netty.handler.codec.redis.ErrorRedisMessage;
import io.netty.handler.codec.redis.FullBulkStringRedisMessage;
import io.netty.handler.codec.redis.IntegerRedisMessage;
import io.netty.handler.codec.redis.RedisMessage;
import io.netty.handler.codec.redis.SimpleStringRedisMessage;
import io.netty.util.ReferenceCountUtil;

import java.nio.charset.StandardCharsets;

/**
 * Writes a reply to a connection that chose RESP3 ({@code HELLO 3}): as RESP2 but for the null
 * ({@code _}) in place of RESP2's null bulk string and null array, and maps ({@link RespMap}) as
 * {@code %}. Sits between the command handler and Netty's RESP2 encoder, which passes the bytes on.
 */
final class Resp3Encoder extends MessageToByteEncoder<Resp3Encoder.Reply> {
    private static final byte[] CRLF = {'\r', '\n'};

    /** A reply for a RESP3 connection. */
    record Reply(RedisMessage message) implements RedisMessage {
    }

    @Override
    protected void encode(ChannelHandlerContext ctx, Reply reply, ByteBuf out) {
        try {
            write(reply.message(), out);
        } finally {
            ReferenceCountUtil.release(reply.message());
        }
    }

    /** Appends one reply in RESP3. */
    static void write(RedisMessage m, ByteBuf out) {
        if (m instanceof RespMap map) {
            header(out, '%', map.children().size() / 2);
            map.children().forEach(c -> write(c, out));
        } else if (m instanceof ArrayRedisMessage a) {
            if (a.isNull()) {
                out.writeBytes(new byte[] {'_', '\r', '\n'});
                return;
            }
            header(out, '*', a.children().size());
            a.children().forEach(c -> write(c, out));
        } else if (m instanceof FullBulkStringRedisMessage b) {
            if (b.isNull()) {
                out.writeBytes(new byte[] {'_', '\r', '\n'});
                return;
            }
            header(out, '$', b.content().readableBytes());
            out.writeBytes(b.content(), b.content().readerIndex(), b.content().readableBytes());
            out.writeBytes(CRLF);
        } else if (m instanceof IntegerRedisMessage i) {
            header(out, ':', i.value());
        } else if (m instanceof SimpleStringRedisMessage s) {
            line(out, '+', s.content());
        } else if (m instanceof ErrorRedisMessage e) {
            line(out, '-', e.content());
        } else {
            throw new EncoderException("no RESP3 form for " + m.getClass().getSimpleName());
        }
    }

    private static void header(ByteBuf out, char type, long n) {
        out.writeByte(type);
        ByteBufUtil.writeAscii(out, Long.toString(n));
        out.writeBytes(CRLF);
    }

    private static void line(ByteBuf out, char type, String text) {
        out.writeByte(type);
        out.writeBytes(text.getBytes(StandardCharsets.UTF_8));
        out.writeBytes(CRLF);
    }
}
