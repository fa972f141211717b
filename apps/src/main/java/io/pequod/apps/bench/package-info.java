/**
 * Benchmarks, each printing JSON: writer against a plain producer ({@code bench write}), joins
 * against a Streams pass-through ({@code bench joins}), freshness, the HTTP and Redis front ends
 * against redis-server, and the report suite with its HTML page ({@code bench report}).
 */
package io.pequod.apps.bench;
