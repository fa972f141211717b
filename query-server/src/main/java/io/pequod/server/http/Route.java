package io.pequod.server.http;

import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpMethod;

import java.util.concurrent.CompletableFuture;

/**
 * One endpoint: a method and a path template ({@code /v1/scan}, or one variable as in
 * {@code /v1/keys/{key}} and {@code /v1/views/{view}/rebuild}), the group it belongs to, and
 * what answers it.
 *
 * @param method   the method
 * @param template the path template
 * @param group    public, admin, internal or probe
 * @param handler  what answers it: at once, or (a write) once Kafka acknowledged it, holding no thread meanwhile
 */
record Route(HttpMethod method, String template, Group group, Deferred handler) {
    /** Who an endpoint is for. */
    enum Group {
        /** Applications' reads and writes (DESIGN.md section 5). */
        PUBLIC,
        /** Operators: joins, rebuild, settle, stats, metrics. */
        ADMIN,
        /** Calls between instances ({@code /v1/internal/*}); keys in base64url. */
        INTERNAL,
        /** Health checks: answered without the shared secret. */
        PROBE
    }

    /** Answers a call at once. */
    @FunctionalInterface
    interface Handler {
        FullHttpResponse handle(Call call);
    }

    /** Answers a call later; the call's body is read before it returns. */
    @FunctionalInterface
    interface Deferred {
        CompletableFuture<FullHttpResponse> handle(Call call);
    }

    /**
     * @param path a request path
     * @return the path variable if the path fits the template (the empty string for a template
     * without one), else {@code null}
     */
    String match(String path) {
        int open = template.indexOf('{');
        if (open < 0) {
            return template.equals(path) ? "" : null;
        }
        String prefix = template.substring(0, open);
        String suffix = template.substring(template.indexOf('}') + 1);
        if (path.length() < prefix.length() + suffix.length() || !path.startsWith(prefix) || !path.endsWith(suffix)) {
            return null;
        }
        return path.substring(prefix.length(), path.length() - suffix.length());
    }
}
