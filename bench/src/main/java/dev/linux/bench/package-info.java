/**
 * Benchmarks, each printing its row next to a reference measured in the same run as a ratio
 * ({@code bench/run}); they are programs, not tests, and never decide a build's outcome.
 */
package dev.linux.bench;
