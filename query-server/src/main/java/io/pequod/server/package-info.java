/**
 * One Pequod server instance: {@link io.pequod.server.PequodServer} assembles the view engine, the
 * writer, the query side and the front ends from a {@link io.pequod.server.PequodConfig}; {@link
 * io.pequod.server.AllInOne} adds an embedded broker and registry.
 */
package io.pequod.server;
