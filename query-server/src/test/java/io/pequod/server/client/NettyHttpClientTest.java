package io.pequod.server.client;

import io.pequod.embedded.Ports;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.URI;
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
            java.util.List<java.util.concurrent.CompletableFuture<NettyHttpClient.Response>> all = new java.util.ArrayList<>();
            for (int i = 0; i < 5; i++) {
                all.add(c.get("/health"));
            }
            for (java.util.concurrent.CompletableFuture<NettyHttpClient.Response> f : all) {
                ExecutionException e = assertThrows(ExecutionException.class, () -> f.get(30, TimeUnit.SECONDS));
                assertInstanceOf(IOException.class, e.getCause());
                assertTrue(e.getCause().getMessage().contains("cannot connect to 127.0.0.1:" + port), e.getCause().getMessage());
            }
        }
    }

    @Test
    void shouldFailARequestThatGetsNoAnswerInTime() throws Exception {
        try (java.net.ServerSocket silent = new java.net.ServerSocket(0, 50, java.net.InetAddress.getLoopbackAddress());
             NettyHttpClient c = new NettyHttpClient(URI.create("http://127.0.0.1:" + silent.getLocalPort()), 2,
                     java.time.Duration.ofMillis(300))) {
            ExecutionException e = assertThrows(ExecutionException.class, () -> c.get("/v1/scan?first=a&last=b").get(30, TimeUnit.SECONDS));
            assertInstanceOf(IOException.class, e.getCause());
            assertTrue(e.getCause().getMessage().contains("no response from 127.0.0.1:" + silent.getLocalPort() + " within 300 ms to GET /v1/scan"),
                    e.getCause().getMessage());
        }
    }
}
