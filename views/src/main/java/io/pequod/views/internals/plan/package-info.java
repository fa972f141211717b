/**
 * A join compiled into its plan: slots, sources, the order of steps. Internal to the views module.
 */
package io.pequod.views.internals.plan;
