/**
 * The view engine's settings on Kafka's {@code ConfigDef}.
 */
package io.pequod.views.config;
