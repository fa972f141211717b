package io.pequod.server.resp;

import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.DecoderException;
import io.netty.handler.codec.redis.ArrayHeaderRedisMessage;
import io.netty.handler.codec.redis.ArrayRedisMessage;
import io.netty.handler.codec.redis.FullBulkStringRedisMessage;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class CommandAggregatorTest {
    private static FullBulkStringRedisMessage bulk(String s) {
        return new FullBulkStringRedisMessage(Unpooled.directBuffer().writeBytes(s.getBytes(StandardCharsets.UTF_8)));
    }

    @Test
    void shouldGatherACommandsArguments() {
        EmbeddedChannel ch = new EmbeddedChannel(new CommandAggregator());
        ch.writeInbound(new ArrayHeaderRedisMessage(2), bulk("GET"), bulk("k"));
        ArrayRedisMessage cmd = ch.readInbound();
        assertEquals(2, cmd.children().size());
        assertEquals("k", ((FullBulkStringRedisMessage) cmd.children().get(1)).content().toString(StandardCharsets.UTF_8));
        cmd.release();
        ch.writeInbound(new ArrayHeaderRedisMessage(0));
        assertEquals(ArrayRedisMessage.EMPTY_INSTANCE, ch.readInbound());
        ch.finishAndReleaseAll();
    }

    @Test
    void shouldReleaseTheArgumentsOfACommandCutShortByAClose() {
        EmbeddedChannel ch = new EmbeddedChannel(new CommandAggregator());
        FullBulkStringRedisMessage set = bulk("SET");
        FullBulkStringRedisMessage key = bulk("huge");
        ch.writeInbound(new ArrayHeaderRedisMessage(3), set, key); // the value never comes
        assertEquals(1, set.refCnt(), "held while the command is incomplete");
        ch.close();
        assertEquals(0, set.refCnt(), "released once the connection closed");
        assertEquals(0, key.refCnt());
    }

    @Test
    void shouldRefuseANestedArray() {
        EmbeddedChannel ch = new EmbeddedChannel(new CommandAggregator());
        FullBulkStringRedisMessage get = bulk("GET");
        ch.writeInbound(new ArrayHeaderRedisMessage(2), get);
        assertThrows(DecoderException.class, () -> ch.writeInbound(new ArrayHeaderRedisMessage(1)));
        ch.close();
        assertEquals(0, get.refCnt());
    }
}
