/**
 * The Kafka Streams processors of joins and tables (source, match, join step, aggregate, sink,
 * dead letters) and the wrapper that reports their positions. Where to add an operator: its
 * semantics in the aggregate processor and the plan. Internal to the views module.
 */
package io.pequod.views.internals.processor;
