/**
 * The view engine: {@link io.pequod.views.ViewEngine} compiles a join spec into Kafka Streams
 * applications with RocksDB stores, and {@link io.pequod.views.ViewCatalog} tells the query side
 * where every table's store lives.
 */
package io.pequod.views;
