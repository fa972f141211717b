/**
 * The chaos test: real {@code pequod serve} processes killed under load
 * ({@link io.pequod.apps.chaos.FailoverBenchmark}, {@code ./pequod bench failover}), and the
 * independent evaluation of its joins that every view is compared with afterwards.
 */
package io.pequod.apps.chaos;
