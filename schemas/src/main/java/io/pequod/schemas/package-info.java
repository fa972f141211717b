/**
 * The data contracts every Pequod module shares: keys and ranges in bytewise order, the
 * partitioning rule, table topic names, and the {@link io.pequod.schemas.avro.Change} record in
 * the Confluent wire format with its Schema Registry client.
 */
package io.pequod.schemas;
