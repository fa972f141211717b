package io.pequod.apps.workload;

import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.List;

/** The HTTP calls the workloads make to a Pequod server: single requests and batched writes. */
final class WorkloadHttp {
    static final ObjectMapper JSON = new ObjectMapper();

    private final String server;
    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    WorkloadHttp(String server) {
        this.server = server;
    }

    HttpClient client() {
        return http;
    }

    HttpRequest request(String method, String path, String body) {
        return HttpRequest.newBuilder(URI.create(server + path)).method(method,
                body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body)).build();
    }

    HttpResponse<String> send(String method, String path, String body) throws IOException, InterruptedException {
        return http.send(request(method, path, body), HttpResponse.BodyHandlers.ofString());
    }

    /** Writes JSON lines in one request, in order, waits for them, and empties the list. */
    void batch(List<String> lines) throws IOException, InterruptedException {
        if (lines.isEmpty()) {
            return;
        }
        HttpResponse<String> r = send("POST", "/v1/batch", String.join("\n", lines));
        if (r.statusCode() != 200) {
            throw new IllegalStateException("batch write failed: " + r.body());
        }
        lines.clear();
    }

    /** Waits until the server's views reflect every earlier write. */
    void settle(long timeoutMs) throws IOException, InterruptedException {
        HttpResponse<String> r = send("GET", "/v1/settle?timeout_ms=" + timeoutMs, null);
        if (r.statusCode() != 200) {
            throw new IllegalStateException("the server's views did not settle: " + r.body());
        }
    }

    static String line(String key, String value) {
        return JSON.createObjectNode().put("key", key).put("value", value).toString();
    }

    static String enc(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }
}
