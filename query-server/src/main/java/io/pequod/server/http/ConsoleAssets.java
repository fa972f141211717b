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
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The operator's console ({@code /ui}): static files served from the jar ({@code io/pequod/server/ui/}),
 * behind the admin routes' authentication. The pages call the public and admin API only.
 */
final class ConsoleAssets {
    private static final String ROOT = "io/pequod/server/ui/";
    private static final Map<String, String> TYPES = Map.of("html", "text/html; charset=utf-8", "js", "text/javascript; charset=utf-8",
            "css", "text/css; charset=utf-8", "svg", "image/svg+xml");

    private final Map<String, byte[]> cache = new ConcurrentHashMap<>();

    void register(RouteTable t) {
        t.add(HttpMethod.GET, "/ui", Route.Group.ADMIN, c -> {
            FullHttpResponse r = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.FOUND);
            r.headers().set(HttpHeaderNames.LOCATION, "/ui/");
            return r;
        }).add(HttpMethod.GET, "/ui/{asset}", Route.Group.ADMIN, c -> asset(c.variableText().isEmpty() ? "index.html" : c.variableText()));
    }

    private FullHttpResponse asset(String name) {
        int dot = name.lastIndexOf('.');
        String type = dot < 0 ? null : TYPES.get(name.substring(dot + 1));
        if (type == null || name.contains("/") || name.contains("\\") || name.startsWith(".")) {
            throw QueryException.notFound("no console file " + name + "; open /ui/");
        }
        byte[] body = cache.computeIfAbsent(name, ConsoleAssets::read);
        if (body.length == 0) {
            throw QueryException.notFound("no console file " + name + "; open /ui/");
        }
        FullHttpResponse r = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK, Unpooled.wrappedBuffer(body));
        r.headers().set(HttpHeaderNames.CONTENT_TYPE, type);
        r.headers().set(HttpHeaderNames.CACHE_CONTROL, "no-cache");
        r.headers().set("X-Content-Type-Options", "nosniff");
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
