/** Defaults and limits of the headless Node peer (docs/NODE-PEER.md). */

/** Default tracker: the one `npm start` runs on this machine (README "Quick start"). */
export const DEFAULT_TRACKER_URL = 'http://localhost:8470';

/** Default data directory, under the home directory: one peer identity per user, like ~/.ssh. */
export const DEFAULT_DATA_DIR_NAME = '.shoal';

/** Config file looked for in the working directory when --config is not given. */
export const DEFAULT_CONFIG_FILE = 'shoal.config.json';

/** Default TCP port for LAN transfers: next to the tracker's 8470 and the discovery port 8471. */
export const DEFAULT_TCP_PORT = 8472;

/**
 * Default LAN discovery group: an organisation-local multicast address (RFC 2365, 239.255/16 is
 * the IPv4 "local scope") that routers do not forward off the site, and a port next to the tracker's.
 */
export const DEFAULT_LAN_ADDRESS = '239.255.70.70';
export const DEFAULT_LAN_PORT = 8471;

/** Sessions open at once, over every transport: a download connects to at most 30 (MAX_PEERS_PER_DOWNLOAD), and others dial us too. */
export const DEFAULT_MAX_PEERS = 50;

/** How often a peer announces itself on the LAN. Peers silent for 3 intervals are forgotten. */
export const LAN_ANNOUNCE_MS = 5_000;

/** LAN peers not heard from for this long are forgotten (three announcements missed). */
export const LAN_PEER_EXPIRY_MS = 3 * LAN_ANNOUNCE_MS + 1_000;

/** How long a who-has query on the LAN collects answers. Loopback and LANs answer in well under 50 ms. */
export const LAN_QUERY_MS = 400;

/**
 * Largest discovery datagram, sent or accepted: below a 1500-byte Ethernet MTU minus IP and UDP
 * headers, so a datagram is never fragmented.
 */
export const MAX_DATAGRAM_BYTES = 1400;

/** Files listed in one announcement; a peer with more rotates through them (26 + 32 × 40 = 1306 bytes). */
export const MAX_ANNOUNCE_ENTRIES = 32;

/** LAN peers remembered at once; the longest silent is forgotten first. */
export const MAX_LAN_PEERS = 256;

/** Files remembered per LAN peer (from its announcements). */
export const MAX_LAN_FILES_PER_PEER = 1024;

/** Who-has answers sent per second at most, so a flood of queries cannot make us flood the LAN. */
export const MAX_LAN_REPLIES_PER_SECOND = 100;

/** Multicast TTL: 1 keeps discovery on the local link. */
export const LAN_MULTICAST_TTL = 1;

/** How long a TCP manifest request may take from connect to the last byte. */
export const MANIFEST_TIMEOUT_MS = 10_000;

/**
 * How long an incoming TCP connection may take to send its first bytes (the hello frame or a
 * manifest request): a peer sends them as soon as it connects, so this is only room for a slow
 * network; the same value as the engine's HELLO_TIMEOUT_MS.
 */
export const TCP_FIRST_BYTES_TIMEOUT_MS = 10_000;

/**
 * Incoming TCP connections from one address (an IPv6 /64) that have not yet said what they are.
 * One honest peer has at most one wire dial and one manifest request per file pending; 8 leaves
 * room for a few peers behind one NAT. A ninth closes the oldest of that address (if older than
 * PENDING_GRACE_MS), so silent sockets from one address never lock out anyone else.
 */
export const MAX_PENDING_TCP_PER_ADDRESS = 8;

/**
 * Over MAX_PENDING_TCP_PER_ADDRESS, only a connection pending at least this long is closed: a
 * hello comes one round trip after the connection (well under 100 ms on a LAN), but many peers on
 * one host or behind one NAT may dial at once, and a busy event loop reads late. MAX_PENDING_TCP
 * bounds what an address can hold meanwhile.
 */
export const PENDING_GRACE_MS = 2_000;

/**
 * Incoming TCP connections not yet decided, over every address: large, as each costs one socket
 * and a few bytes. When full, the oldest from the address holding the most is closed.
 */
export const MAX_PENDING_TCP = 256;

/**
 * A frame started after the hello must be whole within this time, or the connection closes
 * (STALLED_FRAME): a frame is at most 66,560 bytes, under 7 s at a slow 10 KB/s.
 */
export const STALLED_FRAME_TIMEOUT_MS = 15_000;

/**
 * A session (any transport, either direction) with no message either way for this long, and no
 * send waiting for its buffer to drain, closes (IDLE_TIMEOUT). Six times the engine's request
 * timeout (REQUEST_TIMEOUT_MS, 20 s), so a transfer in flight is never idle by this measure (its
 * downloader would have cancelled and asked again well before), and four optimistic-unchoke
 * periods (30 s) for a choked peer waiting its turn. Eviction, not this, is what frees room
 * under load; this only closes what nobody uses.
 */
export const IDLE_TIMEOUT_MS = 120_000;

/**
 * The Node peer's upload bucket (cli/managed-wire.ts) holds a quarter of a second of its rate:
 * enough that sends are not stalled between blocks, little enough that the rate holds over a
 * second.
 */
export const UPLOAD_BURST_SECONDS = 0.25;

/** Suffix of a download in progress, next to where the file will be. */
export const PARTIAL_SUFFIX = '.shoal-partial';

/** Longest file name written, in UTF-8 bytes: Linux allows 255; room is left for PARTIAL_SUFFIX. */
export const MAX_NAME_BYTES = 255 - PARTIAL_SUFFIX.length;

/** Chunks hashed at once when sharing or checking a file (DESIGN.md: node:crypto runs 1.2–1.8 GB/s). */
export const HASH_CONCURRENCY = 2;

/**
 * A shared file whose mtime lies less than this before its hashing began has every chunk hashed
 * when it is served (cli/chunk-trust.ts): Linux stamps writes with its coarse clock, a tick of
 * 1-10 ms (HZ 1000 to 100), so a write within the tick of the previous one may keep the mtime;
 * 100 ms is ten ticks of the slowest clock.
 */
export const RACY_WINDOW_MS = 100;

/** The same for a filesystem that keeps whole-second mtimes only: FAT's are 2 s apart. */
export const RACY_WINDOW_WHOLE_SECONDS_MS = 2_000;

/**
 * A trusted shared file still has its first chunk served and every this many-th after it hashed
 * (cli/chunk-trust.ts): 1/64 of the hashing is under 1% of a core at 400 MiB/s served
 * (node:crypto hashes 1.2-1.8 GB/s), and a file rewritten with its mtime put back is caught
 * within 64 MiB of 1 MiB chunks.
 */
export const SPOT_CHECK_EVERY = 64;

/**
 * Inputs at least this large are hashed in the thread pool (cli/identity.ts, WebCrypto's digest),
 * smaller ones on the event loop: 64 KiB take about 50 µs to hash at 1.2 GB/s, about what the
 * round trip to a pool thread and the copy WebCrypto makes of its input cost.
 */
export const OFF_THREAD_HASH_BYTES = 64 * 1024;

/** How often a watched folder is scanned for new or changed files. */
export const WATCH_SCAN_MS = 2_000;

/** Progress lines on a non-terminal stdout are printed at most this often. */
export const PROGRESS_LINE_MS = 2_000;

/** The terminal progress bar is redrawn at most this often. */
export const PROGRESS_REDRAW_MS = 200;
