package io.pequod.server.internals;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollEventLoopGroup;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.nio.NioEventLoopGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.ssl.SslContext;
import io.netty.util.concurrent.DefaultEventExecutorGroup;
import io.netty.util.concurrent.EventExecutorGroup;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import javax.net.ssl.SSLException;
import java.net.InetSocketAddress;
import java.util.function.Consumer;

/**
 * A TCP listener on Netty shared by the front ends: an acceptor, I/O event loops (the native epoll
 * transport where available, NIO elsewhere) and a group of worker threads for requests that may
 * block. Closing it stops all three.
 */
public final class NettyListener implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(NettyListener.class);
    private final EventLoopGroup boss;
    private final EventLoopGroup io;
    private final EventExecutorGroup workers;
    private Channel channel;

    /**
     * @param ioThreads     event loop threads
     * @param workerThreads worker threads for blocking requests (0: none, the front end has its own)
     */
    public NettyListener(int ioThreads, int workerThreads) {
        this.boss = group(1);
        this.io = group(ioThreads);
        this.workers = workerThreads > 0 ? new DefaultEventExecutorGroup(workerThreads) : null;
    }

    private static EventLoopGroup group(int threads) {
        return Epoll.isAvailable() ? new EpollEventLoopGroup(threads) : new NioEventLoopGroup(threads);
    }

    /** @return the worker threads, for requests that may block */
    public EventExecutorGroup workers() {
        return workers;
    }

    /**
     * @param host     address to bind
     * @param port     port, 0 for a free one
     * @param pipeline sets up each connection's pipeline
     * @return the bound port
     * @throws InterruptedException if interrupted while binding
     */
    public int bind(String host, int port, Consumer<ChannelPipeline> pipeline) throws InterruptedException {
        return bind(host, port, null, pipeline);
    }

    /**
     * @param host     address to bind
     * @param port     port, 0 for a free one
     * @param tls      TLS to serve (its handler goes first in every connection's pipeline), or {@code null} for plain TCP
     * @param pipeline sets up each connection's pipeline after that
     * @return the bound port
     * @throws InterruptedException if interrupted while binding
     */
    public int bind(String host, int port, SslContext tls, Consumer<ChannelPipeline> pipeline) throws InterruptedException {
        channel = new ServerBootstrap().group(boss, io)
                .channel(Epoll.isAvailable() ? EpollServerSocketChannel.class : NioServerSocketChannel.class)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        if (tls != null) {
                            ch.pipeline().addLast("tls", tls.newHandler(ch.alloc())).addLast("tls-failures", TlsFailures.INSTANCE);
                        }
                        pipeline.accept(ch.pipeline());
                    }
                }).bind(host, port).sync().channel();
        return ((InetSocketAddress) channel.localAddress()).getPort();
    }

    /**
     * Closes a connection whose TLS failed (a plain-text client, a failed handshake) without passing
     * the error on to the protocol's handlers, which would try to answer it in their protocol.
     */
    @ChannelHandler.Sharable
    private static final class TlsFailures extends ChannelInboundHandlerAdapter {
        static final TlsFailures INSTANCE = new TlsFailures();

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            if (cause instanceof SSLException || cause.getCause() instanceof SSLException) {
                LOG.debug("Closing connection from {}: TLS failed: {}", ctx.channel().remoteAddress(), cause.toString());
                ctx.close();
            } else {
                ctx.fireExceptionCaught(cause);
            }
        }
    }

    @Override
    public void close() {
        if (channel != null) {
            channel.close().syncUninterruptibly();
        }
        boss.shutdownGracefully();
        io.shutdownGracefully();
        if (workers != null) {
            workers.shutdownGracefully();
        }
    }
}
