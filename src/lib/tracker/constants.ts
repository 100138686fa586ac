/** Limits and defaults of the tracker. docs/TRACKER.md lists them for client authors. */

/** Heartbeat interval a client is told to keep (hello). 30 s: one tiny message per peer per half minute. */
export const DEFAULT_HEARTBEAT_MS = 30_000;

/** A peer silent for longer than this leaves every swarm: three missed heartbeats. */
export const DEFAULT_EXPIRY_MS = 90_000;

/**
 * Lifetime of the TURN credentials a peer gets in hello: one day, the value the TURN REST API
 * draft (draft-uberti-behave-turn-rest-00) recommends; a peer gets fresh ones at every reconnect.
 */
export const DEFAULT_TURN_TTL_SECONDS = 86_400;

/** Smallest expiry the server accepts, so a typo cannot make it drop every peer at once (tests use less via options). */
export const MIN_EXPIRY_MS = 50;

/** Socket.IO maxHttpBufferSize: 2 MiB, room for one realistic manifest (≤ 8192 hashes ≈ 600 KB) and then some. */
export const MAX_HTTP_BUFFER_BYTES = 2 * 1024 * 1024;

/**
 * Largest manifest, as JSON, accepted in an announce: 1.5 MiB (about 22,000 chunk hashes). Less
 * than any valid manifest may take (MAX_MANIFEST_JSON_BYTES, core/constants.ts, 5 MiB) on
 * purpose: it must fit in one Socket.IO message (MAX_HTTP_BUFFER_BYTES) with the rest of the
 * announce, and the chunk size rule keeps manifests of files up to 8 TiB at 8,192 hashes (about
 * 600 KB). A file beyond about 22 TiB, or a manifest made with a much smaller chunk size than the rule
 * gives, can be shared over TCP but not announced (docs/TRACKER.md, "Limits").
 */
export const MAX_ANNOUNCE_MANIFEST_JSON_BYTES = 1.5 * 1024 * 1024;

/** Largest `data` of a signal, as JSON: 16 KiB holds any SDP offer or ICE candidate. */
export const MAX_SIGNAL_JSON_BYTES = 16 * 1024;

/** Files in one announce (and ids in one unannounce). */
export const MAX_ANNOUNCE_FILES = 500;

/** Files one peer may be in the swarms of at once. */
export const MAX_FILES_PER_PEER = 10_000;

/** Peers one whohas answer lists: enough to fill a download's connection slots several times. */
export const MAX_WHOHAS_PEERS = 50;

/** Peers one peer may be allowed to signal because of whohas answers or incoming signals (oldest forgotten first). */
export const MAX_CONTACTS_PER_PEER = 2_000;

/** Longest search query, characters. */
export const MAX_QUERY_LENGTH = 200;

/** Search page size: default and maximum. */
export const DEFAULT_SEARCH_LIMIT = 20;
export const MAX_SEARCH_LIMIT = 100;

/** Matches the store hands to ranking at most; beyond this, ranking by seeders is approximate (TRACKER.md). */
export const MAX_SEARCH_CANDIDATES = 5_000;

/** An id-prefix search needs 8 to 64 hex characters: fewer would match too much to mean anything. */
export const MIN_ID_PREFIX = 8;

/** /api/peers page size: default and maximum. */
export const DEFAULT_PEERS_LIMIT = 100;
export const MAX_PEERS_LIMIT = 1_000;

/** Longest error message put in an ack; schema messages are cut to this. */
export const MAX_ERROR_MESSAGE = 300;

/**
 * Per-connection token buckets: burst size and refill per second. Announce allows a download to
 * report progress every few chunks; signal allows the ICE candidate bursts of several WebRTC
 * connections being set up at once.
 */
export const RATE_LIMITS = {
  announce: { burst: 40, perSecond: 10 },
  search: { burst: 20, perSecond: 5 },
  signal: { burst: 300, perSecond: 100 },
  other: { burst: 100, perSecond: 30 }
} as const;

/** A connection with this many rejected messages within ABUSE_WINDOW_MS is disconnected. */
export const ABUSE_THRESHOLD = 200;
export const ABUSE_WINDOW_MS = 60_000;

/** Largest `up` or `down` in one transfer report: 1 TiB, far above what a peer moves between two reports. */
export const MAX_REPORT_BYTES = 2 ** 40;

/** Largest `completed` in one transfer report: a peer finishing more downloads than this between reports is lying. */
export const MAX_REPORT_COMPLETED = 10_000;

/** One statistics history point per minute by default (the tracker host's timer). */
export const DEFAULT_STATS_INTERVAL_MS = 60_000;

/** History points are kept 7 days, then pruned: a week of minutes is 10,080 rows. */
export const DEFAULT_STATS_RETENTION_MS = 7 * 24 * 3600_000;

/** GET /api/stats/history?minutes=: default one hour, at most the 7 days kept. */
export const DEFAULT_HISTORY_MINUTES = 60;
export const MAX_HISTORY_MINUTES = 7 * 24 * 60;

/** Points one history answer holds at most (the newest): a week of minutes. */
export const MAX_HISTORY_POINTS = MAX_HISTORY_MINUTES;

/** How often dashboards get a fresh overview: every 2 s is live enough and cheap to compute once for all of them. */
export const DEFAULT_DASHBOARD_INTERVAL_MS = 2_000;

/** Dashboard connections at once; more are refused (they are unauthenticated, so they are capped). */
export const MAX_DASHBOARD_CLIENTS = 500;

/** Peers and most-shared public files an overview lists at most. */
export const OVERVIEW_PEERS = 100;
export const OVERVIEW_TOP_FILES = 20;

/**
 * Files one step of the index retention sweep deletes (IndexStore.purgeUnseen): a few
 * milliseconds of SQLite work or one round trip, so a purge of many files never holds the event
 * loop or the database long.
 */
export const INDEX_PURGE_BATCH = 500;
