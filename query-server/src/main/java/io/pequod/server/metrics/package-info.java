/**
 * Request metrics (Micrometer, Prometheus format), {@code /v1/stats} and process statistics.
 */
package io.pequod.server.metrics;
