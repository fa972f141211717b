package io.pequod.apps.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/** Options and HTTP calls of the client commands ({@code get}, {@code scan}, {@code count}, {@code put}, {@code erase}). */
public final class ClientOptions {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Mixin
    Connection connection;

    @Option(names = "--server", paramLabel = "URL", description = "Pequod server, e.g. http://127.0.0.1:7070. "
            + "Default: the `pequod serve` on --data-dir, else http://127.0.0.1:7070.")
    String server;

    @Option(names = "--auth-token", paramLabel = "SECRET", description = "Shared secret of a server started with --auth-token.")
    String authToken;

    @Option(names = "--json", description = "Print the server's JSON answer.")
    boolean json;

    static String enc(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20");
    }

    /** A 2xx answer's JSON, or null for 404 when {@code notFoundOk}. */
    JsonNode call(String method, String pathAndQuery, String body, boolean notFoundOk) {
        String base = connection.serverUrl(server);
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + pathAndQuery)).timeout(Duration.ofSeconds(30))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofString(body, StandardCharsets.UTF_8));
        if (authToken != null) {
            b.header("Authorization", "Bearer " + authToken);
        }
        HttpResponse<String> r;
        try {
            r = HttpClient.newHttpClient().send(b.build(), HttpResponse.BodyHandlers.ofString());
        } catch (ConnectException e) {
            throw new PequodCli.UserException("no Pequod server answers at " + base + "; start one with `./pequod serve` or pass --server", 2);
        } catch (IOException e) {
            throw new PequodCli.UserException("server " + base + " failed: " + e, 2);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new PequodCli.UserException("interrupted", 130);
        }
        JsonNode n;
        try {
            n = JSON.readTree(r.body());
        } catch (IOException e) {
            n = JSON.createObjectNode().put("detail", r.body());
        }
        if (r.statusCode() == 404 && notFoundOk) {
            return null;
        }
        if (r.statusCode() / 100 != 2) {
            throw new PequodCli.UserException(n.path("error").asText("HTTP " + r.statusCode()) + ": " + n.path("detail").asText(r.body()), 1);
        }
        return n;
    }
}
