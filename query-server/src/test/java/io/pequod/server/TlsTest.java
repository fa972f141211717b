package io.pequod.server;

import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpVersion;
import io.pequod.server.client.NettyHttpClient;
import io.pequod.server.internals.NettyListener;
import org.apache.kafka.common.config.ConfigException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * TLS from the settings, without a broker: what the configuration refuses, a port with client CAs
 * refusing a client without a certificate, and the peer client presenting its certificate and
 * checking the server's name.
 */
class TlsTest {
    private static TestCerts certs;
    private static TestCerts.Issued server;

    @BeforeAll
    static void makeCertificates() throws Exception {
        certs = new TestCerts();
        server = certs.localhost("server");
    }

    @AfterAll
    static void deleteCertificates() {
        certs.close();
    }

    private static Map<String, Object> tls(TestCerts.Issued cert, Path clientCa) {
        Map<String, Object> m = new HashMap<>(Map.of(PequodConfig.TLS_CERT, cert.certFile().toString(),
                PequodConfig.TLS_KEY, cert.keyFile().toString(), PequodConfig.TLS_TRUST, certs.ca.toString()));
        if (clientCa != null) {
            m.put(PequodConfig.TLS_CLIENT_CA, clientCa.toString());
        }
        return m;
    }

    @Test
    void isOffWithoutSettingsAndOnWithCertificateAndKey() {
        PequodConfig off = new PequodConfig(Map.of());
        assertNull(off.serverTls());
        assertEquals("http", off.httpScheme());
        PequodConfig on = new PequodConfig(tls(server, null));
        assertNotNull(on.serverTls());
        assertNotNull(on.peerTls());
        assertEquals("https", on.httpScheme());
        PequodConfig jdkTrust = new PequodConfig(Map.of(PequodConfig.TLS_CERT, server.certFile().toString(),
                PequodConfig.TLS_KEY, server.keyFile().toString()));
        assertNotNull(jdkTrust.peerTls(), "without pequod.tls.trust, peers are trusted by the JDK's store");
    }

    @Test
    void refusesFilesThatAreNotWhatTheSettingNeedsNamingSettingAndFile() throws Exception {
        TestCerts.Issued other = certs.localhost("other");
        ConfigException e = assertThrows(ConfigException.class, () -> new PequodConfig(Map.of(PequodConfig.TLS_CERT,
                server.certFile().toString(), PequodConfig.TLS_KEY, other.keyFile().toString())));
        assertEquals("Invalid value " + other.keyFile() + " for configuration pequod.tls.key: not the private key of the certificate in "
                + server.certFile(), e.getMessage());

        Path encrypted = certs.write("encrypted.pem", TestCerts.pem("ENCRYPTED PRIVATE KEY", new byte[64]));
        e = assertThrows(ConfigException.class, () -> new PequodConfig(Map.of(PequodConfig.TLS_CERT, server.certFile().toString(),
                PequodConfig.TLS_KEY, encrypted.toString())));
        assertTrue(e.getMessage().startsWith("Invalid value " + encrypted + " for configuration pequod.tls.key: an encrypted key"),
                e.getMessage());

        Path sec1 = certs.write("sec1.pem", TestCerts.pem("EC PRIVATE KEY", new byte[64]));
        e = assertThrows(ConfigException.class, () -> new PequodConfig(Map.of(PequodConfig.TLS_CERT, server.certFile().toString(),
                PequodConfig.TLS_KEY, sec1.toString())));
        assertTrue(e.getMessage().contains("pequod.tls.key: not a PKCS#8 key"), e.getMessage());

        Path text = certs.write("text.pem", "hello\n");
        e = assertThrows(ConfigException.class, () -> new PequodConfig(Map.of(PequodConfig.TLS_CERT, text.toString(),
                PequodConfig.TLS_KEY, server.keyFile().toString())));
        assertEquals("Invalid value " + text + " for configuration pequod.tls.cert: not a PEM certificate file "
                + "(no -----BEGIN CERTIFICATE----- line)", e.getMessage());

        Map<String, Object> badCa = tls(server, server.keyFile());
        e = assertThrows(ConfigException.class, () -> new PequodConfig(badCa));
        assertTrue(e.getMessage().startsWith("Invalid value " + server.keyFile() + " for configuration pequod.tls.client.ca"), e.getMessage());

        e = assertThrows(ConfigException.class, () -> new PequodConfig(Map.of(PequodConfig.TLS_TRUST, certs.ca.toString())));
        assertTrue(e.getMessage().startsWith("pequod.tls.trust is set but TLS needs both"), e.getMessage());
    }

    /** Echoes what it receives. */
    private static void echo(ChannelPipeline p) {
        p.addLast(new SimpleChannelInboundHandler<Object>(false) {
            @Override
            protected void channelRead0(ChannelHandlerContext ctx, Object msg) {
                ctx.writeAndFlush(msg);
            }
        });
    }

    /** @return the line echoed back, or what went wrong */
    private static String echoOver(SSLContext ctx, int port) {
        try (SSLSocket s = (SSLSocket) ctx.getSocketFactory().createSocket("127.0.0.1", port)) {
            s.setSoTimeout(10_000);
            s.getOutputStream().write("hi\n".getBytes(StandardCharsets.UTF_8));
            s.getOutputStream().flush();
            String line = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.UTF_8)).readLine();
            return line == null ? "closed" : line;
        } catch (IOException e) {
            return e.toString();
        }
    }

    private static int listen(NettyListener l, PequodConfig cfg, Consumer<ChannelPipeline> pipeline) throws InterruptedException {
        return l.bind("127.0.0.1", 0, cfg.serverTls(), pipeline);
    }

    @Test
    void aPortWithClientCasRefusesAClientWithoutACertificate() throws Exception {
        PequodConfig cfg = new PequodConfig(tls(server, certs.ca));
        try (NettyListener l = new NettyListener(1, 0)) {
            int port = listen(l, cfg, TlsTest::echo);
            assertEquals("hi", echoOver(certs.context(certs.localhost("client")), port));
            String refused = echoOver(certs.context(null), port);
            assertNotEquals("hi", refused);
            System.out.println("Without a client certificate: " + refused);
        }
        PequodConfig serverOnly = new PequodConfig(tls(server, null));
        try (NettyListener l = new NettyListener(1, 0)) {
            assertEquals("hi", echoOver(certs.context(null), listen(l, serverOnly, TlsTest::echo)), "no certificate asked without client CAs");
        }
    }

    private static void okServer(ChannelPipeline p) {
        p.addLast(new HttpServerCodec(), new HttpObjectAggregator(1 << 16), new SimpleChannelInboundHandler<FullHttpRequest>() {
            @Override
            protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest req) {
                DefaultFullHttpResponse r = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK,
                        Unpooled.copiedBuffer("ok", StandardCharsets.UTF_8));
                r.headers().set(HttpHeaderNames.CONTENT_LENGTH, 2);
                ctx.writeAndFlush(r).addListener(ChannelFutureListener.CLOSE_ON_FAILURE);
            }
        });
    }

    @Test
    void peersPresentTheirCertificateAndCheckTheOthersName() throws Exception {
        PequodConfig cfg = new PequodConfig(tls(server, certs.ca));
        try (NettyListener l = new NettyListener(1, 0)) {
            int port = listen(l, cfg, TlsTest::okServer);
            for (String host : new String[] {"127.0.0.1", "localhost"}) {
                try (NettyHttpClient c = new NettyHttpClient(URI.create("https://" + host + ":" + port), 1, Duration.ofSeconds(10),
                        Map.of(), cfg.peerTls())) {
                    assertEquals(new NettyHttpClient.Response(200, "ok"), c.get("/health").get(20, TimeUnit.SECONDS), host);
                }
            }
        }
        // a server whose certificate does not name the host it is called by
        TestCerts.Issued elsewhere = certs.issue("elsewhere", new String[] {"elsewhere.invalid"}, new String[0]);
        PequodConfig wrongName = new PequodConfig(tls(elsewhere, null));
        try (NettyListener l = new NettyListener(1, 0);
             NettyHttpClient c = new NettyHttpClient(URI.create("https://127.0.0.1:" + listen(l, wrongName, TlsTest::okServer)), 1,
                     Duration.ofSeconds(10), Map.of(), cfg.peerTls())) {
            ExecutionException e = assertThrows(ExecutionException.class, () -> c.get("/health").get(20, TimeUnit.SECONDS));
            assertTrue(e.getCause().getMessage().toLowerCase(java.util.Locale.ROOT).contains("subject alternative name"),
                    "refused for the name its certificate lacks: " + e.getCause().getMessage());
            System.out.println("Calling a server by a name its certificate lacks: " + e.getCause().getMessage());
        }
    }

    @Test
    void theSettingsFileCheckIsNotFooledByAnEmptyValue() {
        ConfigException e = assertThrows(ConfigException.class, () -> new PequodConfig(Map.of(PequodConfig.TLS_CERT, "",
                PequodConfig.TLS_KEY, server.keyFile().toString())));
        assertTrue(e.getMessage().contains("pequod.tls.cert"), e.getMessage());
    }

    @Test
    void anEmptyAuthTokenIsRefusedRatherThanLettingAnyoneIn() {
        ConfigException e = assertThrows(ConfigException.class, () -> new PequodConfig(Map.of(PequodConfig.AUTH_TOKEN, "")));
        assertTrue(e.getMessage().contains("pequod.auth.token") && e.getMessage().contains("empty"), e.getMessage());
        assertEquals("s", new PequodConfig(Map.of(PequodConfig.AUTH_TOKEN, "s")).authToken());
    }
}
