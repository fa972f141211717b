/**
 * The embedded runtime: a real single-node KRaft broker in this JVM and a Confluent-compatible
 * schema registry (Apicurio) in a child process, both on loopback. Used by {@code pequod serve}
 * without a cluster and by every module's integration tests.
 */
package io.pequod.embedded;
