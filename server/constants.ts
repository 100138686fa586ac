/**
 * Constants of the server process (the tracker's own limits are in src/lib/tracker/constants.ts).
 */

/**
 * How often a build waiting for another one in the same checkout checks whether that one has
 * finished (a vite build takes tens of seconds; a quarter of a second is invisible next to it).
 */
export const SITE_BUILD_LOCK_POLL_MS = 250;
