/**
 * The query side every front end shares: {@link io.pequod.server.query.QueryService} (reads and
 * writes across instances, read-your-writes) and {@link io.pequod.server.query.AdminService}
 * (joins, rebuild, settle, health), with failures as {@link io.pequod.server.query.Failure}
 * values.
 */
package io.pequod.server.query;
