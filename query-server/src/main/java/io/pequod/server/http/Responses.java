package io.pequod.server.http;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufOutputStream;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.pequod.schemas.WritePosition;
import io.pequod.server.query.Entry;
import io.pequod.server.query.Failure;
import io.pequod.server.query.PeerClient;
import io.pequod.server.query.ReadNote;
import io.pequod.server.query.ScanResult;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;

/** Building HTTP answers: JSON bodies, errors as {@code {"error", "detail"}}, scans streamed into the buffer. */
final class Responses {
    static final ObjectMapper JSON = new ObjectMapper();

    private Responses() {
    }

    /** @return the HTTP status of a kind of failure */
    static int status(Failure.Kind kind) {
        return switch (kind) {
            case BAD_REQUEST -> 400;
            case UNAUTHORIZED -> 401;
            case NOT_FOUND -> 404;
            case NOT_ALLOWED -> 405;
            case UNAVAILABLE -> 503;
            case INTERNAL -> 500;
        };
    }

    static FullHttpResponse error(Failure f) {
        return error(status(f.kind()), f.error(), f.detail());
    }

    static FullHttpResponse error(int status, String error, String detail) {
        return json(status, JSON.createObjectNode().put("error", error).put("detail", detail));
    }

    static FullHttpResponse json(int status, Object body) {
        try {
            FullHttpResponse r = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.valueOf(status),
                    Unpooled.wrappedBuffer(JSON.writeValueAsBytes(body)));
            r.headers().set(HttpHeaderNames.CONTENT_TYPE, "application/json");
            return r;
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    static FullHttpResponse ok(Object body) {
        return json(200, body);
    }

    static FullHttpResponse text(int status, String body, String type) {
        FullHttpResponse r = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.valueOf(status),
                Unpooled.wrappedBuffer(body.getBytes(StandardCharsets.UTF_8)));
        r.headers().set(HttpHeaderNames.CONTENT_TYPE, type);
        return r;
    }

    static ObjectNode entry(byte[] key, byte[] value, boolean b64) {
        return JSON.createObjectNode().put("key", enc(key, b64)).put("value", enc(value, b64));
    }

    static ObjectNode position(WritePosition pos) {
        return JSON.createObjectNode().put("token", pos.token()).put("topic", pos.topic()).put("partition", pos.partition())
                .put("offset", pos.offset());
    }

    static String enc(byte[] b, boolean b64) {
        return b64 ? PeerClient.b64(b) : new String(b, StandardCharsets.UTF_8);
    }

    /**
     * Writes a scan's JSON straight into the response buffer: no tree of nodes and no string per
     * entry (an ASCII key or value is copied as it is), which is most of a scan's garbage.
     */
    /** The header that marks an answer that may be stale: {@code Pequod-Stale: lag=N} (-1: unknown). */
    static final String STALE_HEADER = "Pequod-Stale";

    /** @return the answer, with the stale marks if its note says so: fields in the JSON object, and the header */
    static FullHttpResponse ok(ObjectNode body, ReadNote note) {
        if (note.isStale()) {
            body.put("stale", true).put("lag", note.lag()).put("stale_reason", note.reason());
        }
        return marked(ok(body), note);
    }

    private static FullHttpResponse marked(FullHttpResponse r, ReadNote note) {
        if (note.isStale()) {
            r.headers().set(STALE_HEADER, "lag=" + note.lag());
        }
        return r;
    }

    static FullHttpResponse scan(ScanResult r, boolean b64, ReadNote note) {
        int size = 32;
        for (Entry e : r.entries()) {
            size += 24 + e.key().length + e.value().length;
        }
        ByteBuf buf = Unpooled.buffer(b64 ? size * 4 / 3 + 16 : size);
        try (JsonGenerator g = JSON.getFactory().createGenerator((OutputStream) new ByteBufOutputStream(buf))) {
            g.writeStartObject();
            g.writeArrayFieldStart("entries");
            for (Entry e : r.entries()) {
                g.writeStartObject();
                g.writeFieldName("key");
                writeBytes(g, e.key(), b64);
                g.writeFieldName("value");
                writeBytes(g, e.value(), b64);
                g.writeEndObject();
            }
            g.writeEndArray();
            g.writeBooleanField("more", r.more());
            if (note.isStale()) {
                g.writeBooleanField("stale", true);
                g.writeNumberField("lag", note.lag());
                g.writeStringField("stale_reason", note.reason());
            }
            g.writeEndObject();
        } catch (IOException e) {
            buf.release();
            throw new IllegalStateException(e);
        }
        FullHttpResponse res = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK, buf);
        res.headers().set(HttpHeaderNames.CONTENT_TYPE, "application/json");
        return marked(res, note);
    }

    private static void writeBytes(JsonGenerator g, byte[] b, boolean b64) throws IOException {
        if (b64) {
            g.writeString(PeerClient.b64(b));
            return;
        }
        for (byte x : b) {
            if (x < 0) { // not ASCII: decoded as before, invalid UTF-8 becoming U+FFFD
                g.writeString(new String(b, StandardCharsets.UTF_8));
                return;
            }
        }
        g.writeUTF8String(b, 0, b.length); // escapes quotes, backslashes and control characters
    }
}
