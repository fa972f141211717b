/**
 * The view engine: {@link io.pequod.views.ViewEngine} compiles a join spec into Kafka Streams
 * applications with RocksDB stores, and {@link io.pequod.views.ViewCatalog} tells the query side
 * where every table's store lives.
 *
 * <pre>{@code
 * try (ViewEngine engine = ViewEngine.builder().bootstrapServers(b).schemaRegistryUrl(r)
 *         .spec(JoinSpecParser.parse(path)).stateDir(dir).build()) {
 *     engine.start();
 *     engine.awaitRunning(Duration.ofMinutes(1));
 *     engine.catalog().store("t").get(key);
 * }
 * }</pre>
 */
package io.pequod.views;
