/**
 * The workloads that judge Pequod: Pequod's Twitter workload (twitternew: joins, push, pull,
 * celebrity and Redis modes, with an in-memory reference) and the Hacker-News-like newp workload.
 */
package io.pequod.apps.workload;
