/**
 * The HTTP API: a route table of public, admin, internal and probe routes over the query side;
 * failures mapped to statuses and {@code {"error", "detail"}} bodies.
 */
package io.pequod.server.http;
