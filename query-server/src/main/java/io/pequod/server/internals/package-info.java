/**
 * Netty plumbing shared by the front ends (listeners, event loops, worker groups). Not for use
 * outside this module.
 */
package io.pequod.server.internals;
