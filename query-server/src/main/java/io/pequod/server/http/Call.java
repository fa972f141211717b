package io.pequod.server.http;

import io.netty.buffer.ByteBufUtil;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.pequod.server.query.PeerClient;
import io.pequod.server.query.QueryException;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;

/**
 * One HTTP request as the routes see it: method, path, the path's variable (the key in
 * {@code /v1/keys/{key}}), query parameters and body, with typed accessors whose errors name the
 * parameter.
 */
final class Call {
    private final FullHttpRequest request;
    private final QueryStringDecoder query;
    private final String variable;

    Call(FullHttpRequest request, QueryStringDecoder query, String variable) {
        this.request = request;
        this.query = query;
        this.variable = variable;
    }

    HttpMethod method() {
        return request.method();
    }

    /** @return the path variable, URL-decoded ('+' stays '+'), as bytes */
    byte[] variable() {
        return decodePath(variable);
    }

    /** @return the path variable as text */
    String variableText() {
        return new String(variable(), StandardCharsets.UTF_8);
    }

    byte[] body() {
        return ByteBufUtil.getBytes(request.content());
    }

    String bodyText() {
        return request.content().toString(StandardCharsets.UTF_8);
    }

    /** @return whether keys and values travel in base64url ({@code encoding=base64}) */
    boolean base64() {
        return "base64".equals(param("encoding"));
    }

    String param(String name) {
        List<String> v = query.parameters().get(name);
        return v == null || v.isEmpty() ? null : v.get(0);
    }

    boolean bool(String name) {
        return "true".equalsIgnoreCase(param(name));
    }

    Integer intParam(String name) {
        String v = param(name);
        if (v == null) {
            return null;
        }
        try {
            return Integer.parseInt(v);
        } catch (NumberFormatException e) {
            throw QueryException.badRequest("parameter " + name + "='" + v + "' is not an integer");
        }
    }

    /** @return a required key-like parameter, in base64url if {@code b64} */
    byte[] required(String name, boolean b64) {
        String v = param(name);
        if (v == null) {
            throw QueryException.badRequest("missing parameter " + name);
        }
        if (b64) {
            try {
                return PeerClient.unb64(v);
            } catch (IllegalArgumentException e) {
                throw QueryException.badRequest("parameter " + name + " is not base64url");
            }
        }
        return v.getBytes(StandardCharsets.UTF_8);
    }

    List<Integer> partitions() {
        String v = param("partitions");
        if (v == null || v.isEmpty()) {
            throw QueryException.badRequest("missing parameter partitions");
        }
        try {
            return Arrays.stream(v.split(",")).map(Integer::parseInt).toList();
        } catch (NumberFormatException e) {
            throw QueryException.badRequest("parameter partitions='" + v + "' is not a list of integers");
        }
    }

    /** Decodes a URL path segment; unlike query strings, '+' stays '+'. */
    static byte[] decodePath(String raw) {
        return QueryStringDecoder.decodeComponent(raw.replace("+", "%2B"), StandardCharsets.UTF_8).getBytes(StandardCharsets.UTF_8);
    }
}
