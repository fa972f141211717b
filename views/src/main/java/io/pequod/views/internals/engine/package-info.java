/**
 * The view engine's collaborators, one job each: names, Streams settings, tables layout, view
 * generations, spec installation, table watch, settle barrier. Internal to the views module;
 * {@link io.pequod.views.ViewEngine} is their facade.
 */
package io.pequod.views.internals.engine;
