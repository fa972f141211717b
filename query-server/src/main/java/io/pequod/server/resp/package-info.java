/**
 * The Redis protocol (RESP2): the Netty front end and its command table.
 */
package io.pequod.server.resp;
