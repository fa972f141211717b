package io.pequod.server.client;

import io.pequod.embedded.Ports;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class NettyHttpClientTest {
    @Test
    void shouldFailEveryRequestClearlyWhenNothingListens() throws Exception {
        int port = Ports.free();
        try (NettyHttpClient c = new NettyHttpClient(URI.create("http://127.0.0.1:" + port), 2)) {
            // More requests at once than connections: the waiting ones must fail too, not hang.
            List<CompletableFuture<NettyHttpClient.Response>> all = new ArrayList<>();
            for (int i = 0; i < 5; i++) {
                all.add(c.get("/health"));
            }
            for (CompletableFuture<NettyHttpClient.Response> f : all) {
                ExecutionException e = assertThrows(ExecutionException.class, () -> f.get(30, TimeUnit.SECONDS));
                assertInstanceOf(IOException.class, e.getCause());
                assertTrue(e.getCause().getMessage().contains("cannot connect to 127.0.0.1:" + port), e.getCause().getMessage());
            }
        }
    }

    @Test
    void shouldFailARequestThatGetsNoAnswerInTime() throws Exception {
        try (ServerSocket silent = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
             NettyHttpClient c = new NettyHttpClient(URI.create("http://127.0.0.1:" + silent.getLocalPort()), 2,
                     Duration.ofMillis(300))) {
            ExecutionException e = assertThrows(ExecutionException.class, () -> c.get("/v1/scan?first=a&last=b").get(30, TimeUnit.SECONDS));
            assertInstanceOf(IOException.class, e.getCause());
            assertTrue(e.getCause().getMessage().contains("no response from 127.0.0.1:" + silent.getLocalPort() + " within 300 ms to GET /v1/scan"),
                    e.getCause().getMessage());
        }
    }
}
