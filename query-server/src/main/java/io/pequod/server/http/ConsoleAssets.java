package io.pequod.server.http;

import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.pequod.server.query.QueryException;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.Map;

/**
 * The operator's console ({@code /ui}): static files served from the jar ({@code io/pequod/server/ui/}),
 * behind the admin routes' authentication. The pages call the public and admin API only.
 */
final class ConsoleAssets {
    private static final String ROOT = "io/pequod/server/ui/";
    private static final Map<String, String> TYPES = Map.of("html", "text/html; charset=utf-8", "js", "text/javascript; charset=utf-8",
            "css", "text/css; charset=utf-8");

    /** The console's files, read once: anything else is a 404 (and costs nothing). */
    private final Map<String, byte[]> files = new java.util.HashMap<>();

    ConsoleAssets() {
        for (String name : List.of("index.html", "app.js", "style.css")) {
            files.put(name, read(name));
        }
    }

    void register(RouteTable t) {
        t.add(HttpMethod.GET, "/ui", Route.Group.ADMIN, c -> {
            FullHttpResponse r = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.FOUND);
            r.headers().set(HttpHeaderNames.LOCATION, "/ui/");
            return r;
        }).add(HttpMethod.GET, "/ui/{asset}", Route.Group.ADMIN, c -> asset(c.variableText().isEmpty() ? "index.html" : c.variableText()));
    }

    private FullHttpResponse asset(String name) {
        byte[] body = files.get(name);
        if (body == null || body.length == 0) {
            throw QueryException.notFound("no console file " + name + "; open /ui/");
        }
        FullHttpResponse r = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK, Unpooled.wrappedBuffer(body));
        r.headers().set(HttpHeaderNames.CONTENT_TYPE, TYPES.get(name.substring(name.lastIndexOf('.') + 1)));
        r.headers().set(HttpHeaderNames.CACHE_CONTROL, "no-cache");
        r.headers().set("X-Content-Type-Options", "nosniff");
        // no framing by other sites, and nothing but this server's own files and API
        r.headers().set("X-Frame-Options", "DENY");
        r.headers().set("Content-Security-Policy", "default-src 'self'; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'");
        return r;
    }

    private static byte[] read(String name) {
        try (InputStream in = ConsoleAssets.class.getClassLoader().getResourceAsStream(ROOT + name)) {
            return in == null ? new byte[0] : in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
