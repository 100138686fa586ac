/** Requests kept in flight per peer at the start; grows with the peer's measured speed (download.ts). */
export const INITIAL_PIPELINE = 4;

/** Upper bound on requests in flight per peer: 16 MiB of 1 MiB chunks covers ~100 ms at 150 MiB/s. */
export const MAX_PIPELINE = 16;

/** A serving peer queues at most this many requests from one connection and rejects the rest as busy. */
export const MAX_UPLOAD_QUEUE = 32;

/** A request not answered in this time is given up and asked elsewhere: 1 MiB at a slow 50 KiB/s. */
export const REQUEST_TIMEOUT_MS = 20_000;
/** A request this old is given up even if the peer keeps sending (it is busy with others' requests, or too slow). */
export const MAX_REQUEST_AGE_MS = 120_000;

/** Corrupt chunks tolerated from one peer before it is dropped for this download. */
export const MAX_CORRUPT_CHUNKS = 3;

/** Pause sending above this many buffered bytes (DESIGN.md: a few MiB of bufferedAmount). */
export const HIGH_WATER_MARK = 4 * 1024 * 1024;

/** Resume sending below this many buffered bytes. */
export const LOW_WATER_MARK = 1024 * 1024;

/** How often a download asks the directory for new peers while it runs. */
export const PEER_REFRESH_MS = 5_000;

/** Peers one download connects to at most. */
export const MAX_PEERS_PER_DOWNLOAD = 8;

/** How long to wait for a WebRTC or TCP connection before giving up on a peer. */
export const CONNECT_TIMEOUT_MS = 20_000;

/** How long a peer may take to send its hello. */
export const HELLO_TIMEOUT_MS = 10_000;
