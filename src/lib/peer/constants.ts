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

/**
 * Peers one download connects to at most (downloaders included, whatever they hold). BitTorrent
 * clients keep 30–80 per torrent; rarest-first needs a wide view of the swarm, and upload slots
 * (UPLOAD_SLOTS) keep the number actually served small, so a connection mostly costs its have
 * updates. Measured: see README "Swarm".
 */
export const MAX_PEERS_PER_DOWNLOAD = 30;

/**
 * While a download holds fewer chunks than this, it picks in random order rather than rarest
 * first, so it has something to trade soon (BitTorrent's "random first piece"; libtorrent's
 * initial threshold is 4).
 */
export const RANDOM_FIRST_CHUNKS = 4;

/**
 * A download asks a second peer for a chunk (the endgame) only when at most this many chunks are
 * missing. With 30 peers and several requests each, every missing chunk of a 32-chunk file is in
 * flight almost at once; an endgame from then on asked for most chunks twice, and in a 1 + 39
 * swarm 13% of all bytes uploaded were copies cancelled on arrival (npm run swarm). The last few
 * chunks still race two peers, so one slow peer cannot hold the end of a download.
 */
export const ENDGAME_CHUNKS = 4;

/**
 * Regular upload slots per file: at most this many interested peers are served at once, plus
 * one optimistic slot. BitTorrent's default is 4; measured here (npm run swarm, 1 seeder + 19
 * downloaders, 32 MiB, 4 MiB/s each, load 16-25, 2026-12-01), completion p90 with 2 slots
 * 14.1 and 15.3 s, 3 slots 17.4 s, 4 slots 17.2 and 17.2 s, 8 slots 20.8 s. A chunk can be passed
 * on only once it is whole and verified, and chunks are 1 MiB: the fewer peers share an upload,
 * the sooner each holds a complete chunk to trade.
 */
export const UPLOAD_SLOTS = 2;

/**
 * A chunk a peer answered busy for (its queue was full, or a super-seeder handed that chunk to
 * someone else) is not asked of that peer again for this long, unless its next have says
 * otherwise: asking again at once would only repeat the refusal. One optimistic-slot period.
 */
export const BUSY_BACKOFF_MS = 30_000;

/**
 * Super-seeding: how long a chunk handed to one peer is refused to others while that peer stays.
 * After it, the chunk is handed out again (its recipient may be unreachable from the asker, e.g.
 * two tabs whose WebRTC connection failed). As long as the longest a request may wait
 * (MAX_REQUEST_AGE_MS): a swarm that works moves every chunk on well within it.
 */
export const SUPER_SEED_HOLD_MS = 120_000;

/** How often upload slots are reassigned by rate (BitTorrent: every 10 s). */
export const RECHOKE_INTERVAL_MS = 10_000;

/** The optimistic slot moves every this many rechokes: 30 s at 10 s (BitTorrent's period). */
export const OPTIMISTIC_EVERY = 3;

/** How long to wait for a WebRTC or TCP connection before giving up on a peer. */
export const CONNECT_TIMEOUT_MS = 20_000;

/** How long a peer may take to send its hello. */
export const HELLO_TIMEOUT_MS = 10_000;
