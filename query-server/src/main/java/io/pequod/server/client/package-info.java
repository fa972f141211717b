/**
 * An asynchronous keep-alive HTTP client on Netty for many small requests (calls between
 * instances, workloads, benchmarks).
 */
package io.pequod.server.client;
