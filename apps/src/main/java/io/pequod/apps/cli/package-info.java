/**
 * The {@code pequod} command line (picocli): {@code serve}, the client commands, {@code config},
 * the workloads and benchmarks. Where to add a command: a class with {@code @Command} here, listed
 * in {@link io.pequod.apps.cli.PequodCli}.
 */
package io.pequod.apps.cli;
