/**
 * Constants of the server process (the tracker's own limits are in src/lib/tracker/constants.ts).
 */

/**
 * How often a build waiting for another one in the same checkout checks whether that one has
 * finished (a vite build takes tens of seconds; a quarter of a second is invisible next to it).
 */
export const SITE_BUILD_LOCK_POLL_MS = 250;

/**
 * SHOAL_INDEX_RETENTION_DAYS when unset: a file no peer has announced (or kept seen) for this
 * long leaves the index (issue 17: "default 30"; a month covers a seeder away on holiday).
 */
export const DEFAULT_INDEX_RETENTION_DAYS = 30;
/**
 * How often the retention sweep looks for such files: hourly, so a file stays findable at most
 * an hour (0.14% of 30 days) past its retention, and the sweep's work is spread thin.
 */
export const INDEX_SWEEP_INTERVAL_MS = 3_600_000;
