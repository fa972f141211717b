/**
 * Compiles joins into Kafka Streams topologies: the tables topology and one per view. Internal to
 * the views module.
 */
package io.pequod.views.internals.compile;
