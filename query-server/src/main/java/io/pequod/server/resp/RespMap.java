package io.pequod.server.resp;

import io.netty.handler.codec.redis.ArrayRedisMessage;
import io.netty.handler.codec.redis.RedisMessage;

import java.util.List;

/**
 * A map reply: keys and values alternating. RESP2 has no maps, so Netty's encoder writes it as the
 * flat array it extends (what Redis answers a RESP2 client); {@link Resp3Encoder} writes it as a
 * RESP3 map ({@code %}).
 */
final class RespMap extends ArrayRedisMessage {
    /** @param keysAndValues key, value, key, value... */
    RespMap(List<RedisMessage> keysAndValues) {
        super(keysAndValues);
        if (keysAndValues.size() % 2 != 0) {
            throw new IllegalArgumentException("a map needs as many values as keys, got " + keysAndValues.size() + " elements");
        }
    }
}
