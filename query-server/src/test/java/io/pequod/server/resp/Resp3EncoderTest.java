package io.pequod.server.resp;

import io.netty.buffer.ByteBuf;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.redis.ArrayRedisMessage;
import io.netty.handler.codec.redis.ErrorRedisMessage;
import io.netty.handler.codec.redis.FullBulkStringRedisMessage;
import io.netty.handler.codec.redis.IntegerRedisMessage;
import io.netty.handler.codec.redis.RedisEncoder;
import io.netty.handler.codec.redis.RedisMessage;
import io.netty.handler.codec.redis.SimpleStringRedisMessage;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

class Resp3EncoderTest {
    /** @return the bytes the front end's encoders write for a reply */
    private static String written(Object reply) {
        EmbeddedChannel ch = new EmbeddedChannel(new RedisEncoder(), new Resp3Encoder());
        ch.writeOutbound(reply);
        StringBuilder out = new StringBuilder();
        for (Object o = ch.readOutbound(); o != null; o = ch.readOutbound()) {
            ByteBuf b = (ByteBuf) o;
            out.append(b.toString(StandardCharsets.UTF_8));
            b.release();
        }
        ch.finishAndReleaseAll();
        return out.toString();
    }

    private static RedisMessage map() {
        return new RespMap(List.of(RespCommands.ascii("proto"), new IntegerRedisMessage(3), RespCommands.ascii("modules"),
                new ArrayRedisMessage(List.of())));
    }

    @Test
    void shouldWriteMapsAndNullsAsResp3() {
        assertEquals("%2\r\n$5\r\nproto\r\n:3\r\n$7\r\nmodules\r\n*0\r\n", written(new Resp3Encoder.Reply(map())));
        assertEquals("_\r\n", written(new Resp3Encoder.Reply(FullBulkStringRedisMessage.NULL_INSTANCE)));
        assertEquals("*3\r\n$1\r\nx\r\n_\r\n-ERR no\r\n", written(new Resp3Encoder.Reply(new ArrayRedisMessage(List.of(
                RespCommands.ascii("x"), FullBulkStringRedisMessage.NULL_INSTANCE, new ErrorRedisMessage("ERR no"))))));
        assertEquals("_\r\n", written(new Resp3Encoder.Reply(ArrayRedisMessage.NULL_INSTANCE)));
        assertEquals("+OK\r\n", written(new Resp3Encoder.Reply(new SimpleStringRedisMessage("OK"))));
    }

    @Test
    void shouldLeaveResp2RepliesToNettysEncoderWithMapsFlattened() {
        assertEquals("*4\r\n$5\r\nproto\r\n:3\r\n$7\r\nmodules\r\n*0\r\n", written(map()));
        assertEquals("$-1\r\n", written(FullBulkStringRedisMessage.NULL_INSTANCE));
    }
}
