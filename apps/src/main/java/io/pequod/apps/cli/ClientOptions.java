package io.pequod.apps.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLHandshakeException;
import javax.net.ssl.TrustManagerFactory;
import java.io.IOException;
import java.io.InputStream;
import java.net.ConnectException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
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

    @Option(names = "--cacert", paramLabel = "FILE", description = "PEM file of the CA certificates to trust for an https:// "
            + "--server (a server with pequod.tls.cert). Default: the JDK's trust store.")
    Path cacert;

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
            r = (cacert == null ? HttpClient.newHttpClient() : HttpClient.newBuilder().sslContext(trusting(cacert)).build())
                    .send(b.build(), HttpResponse.BodyHandlers.ofString());
        } catch (ConnectException e) {
            throw new PequodCli.UserException("no Pequod server answers at " + base + "; start one with `./pequod serve` or pass --server", 2);
        } catch (SSLHandshakeException e) {
            throw new PequodCli.UserException("TLS with " + base + " failed: " + e.getMessage()
                    + (cacert == null ? " (give the CA of its certificate with --cacert FILE)" : ""), 2);
        } catch (IOException e) {
            throw new PequodCli.UserException("server " + base + " failed: " + e
                    + (base.startsWith("http://") ? " (a server with pequod.tls.cert answers https:// only)" : ""), 2);
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

    /** @return a TLS context that trusts the certificates of the PEM file */
    static SSLContext trusting(Path pem) {
        try (InputStream in = Files.newInputStream(pem)) {
            KeyStore ks = KeyStore.getInstance(KeyStore.getDefaultType());
            ks.load(null, null);
            int i = 0;
            for (Certificate c : CertificateFactory.getInstance("X.509").generateCertificates(in)) {
                ks.setCertificateEntry("ca-" + i++, c);
            }
            if (i == 0) {
                throw new PequodCli.UserException("--cacert " + pem + ": no certificate in it", 2);
            }
            TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            tmf.init(ks);
            SSLContext ctx = SSLContext.getInstance("TLS");
            ctx.init(null, tmf.getTrustManagers(), null);
            return ctx;
        } catch (NoSuchFileException e) {
            throw new PequodCli.UserException("--cacert " + pem + ": no such file", 2);
        } catch (IOException | GeneralSecurityException e) {
            throw new PequodCli.UserException("--cacert " + pem + ": not a readable PEM certificate file: " + e.getMessage(), 2);
        }
    }
}
