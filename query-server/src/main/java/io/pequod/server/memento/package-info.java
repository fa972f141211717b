/**
 * memento's text protocol over the shared key-value commands.
 */
package io.pequod.server.memento;
