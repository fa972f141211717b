package io.pequod.server.resp;

import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.DecoderException;
import io.netty.handler.codec.MessageToMessageDecoder;
import io.netty.handler.codec.redis.ArrayHeaderRedisMessage;
import io.netty.handler.codec.redis.ArrayRedisMessage;
import io.netty.handler.codec.redis.RedisMessage;
import io.netty.util.ReferenceCountUtil;

import java.util.ArrayList;
import java.util.List;

/**
 * Gathers a command's arguments (an array header, then its elements) into one {@link ArrayRedisMessage},
 * in place of Netty's {@code RedisArrayAggregator}, which keeps the arguments of a command whose
 * connection closes half-way and never releases them: their pooled buffers leak (found by
 * {@code HostileInputIT} with Netty's leak detector). A nested array is not a command: as Redis
 * does, the connection is closed with a protocol error.
 */
final class CommandAggregator extends MessageToMessageDecoder<RedisMessage> {
    /** The arguments so far of the command being read, or {@code null} between commands. */
    private List<RedisMessage> arguments;
    private long expected;

    @Override
    protected void decode(ChannelHandlerContext ctx, RedisMessage msg, List<Object> out) {
        if (msg instanceof ArrayHeaderRedisMessage h) {
            if (arguments != null) {
                throw new DecoderException("expected '$', got '*' (a command's arguments are bulk strings, not arrays)");
            }
            if (h.isNull()) {
                out.add(ArrayRedisMessage.NULL_INSTANCE);
            } else if (h.length() == 0) {
                out.add(ArrayRedisMessage.EMPTY_INSTANCE);
            } else {
                arguments = new ArrayList<>((int) Math.min(h.length(), 1024));
                expected = h.length();
            }
            return;
        }
        ReferenceCountUtil.retain(msg); // the decoder releases what it was given
        if (arguments == null) {
            out.add(msg); // an inline command, or a lone element: the handler answers it
            return;
        }
        arguments.add(msg);
        if (arguments.size() == expected) {
            out.add(new ArrayRedisMessage(arguments));
            arguments = null;
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        release();
        super.channelInactive(ctx);
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) throws Exception {
        release();
        super.handlerRemoved(ctx);
    }

    private void release() {
        if (arguments != null) {
            arguments.forEach(ReferenceCountUtil::release);
            arguments = null;
        }
    }
}
