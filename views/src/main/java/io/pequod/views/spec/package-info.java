/**
 * Pequod's join language: {@link io.pequod.views.spec.JoinSpecParser} turns spec files into a
 * checked {@link io.pequod.views.spec.JoinSpec} of records, or throws
 * {@link io.pequod.views.spec.JoinSpecException} naming file, line and column.
 */
package io.pequod.views.spec;
