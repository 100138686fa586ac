/** Version of the manifest encoding and of the wire protocol (docs/PROTOCOL.md). */
export const PROTOCOL_VERSION = 1;

/** Default chunk size: 1 MiB, as DESIGN.md decides (one WebCrypto digest and one IndexedDB value each). */
export const DEFAULT_CHUNK_SIZE = 1024 * 1024;

/** Chunk size doubles until a file has at most this many chunks, so a manifest stays small (DESIGN.md). */
export const TARGET_MAX_CHUNKS = 8192;

/** Largest chunk size a manifest may declare: 1 GiB, which chunkSizeFor reaches only for files beyond 4 TiB. */
export const MAX_CHUNK_SIZE = 1024 * 1024 * 1024;

/** Smallest chunk size a manifest may declare; smaller chunks would only bloat the manifest. */
export const MIN_CHUNK_SIZE = 16 * 1024;

/** Hard cap on chunks in one manifest, far above what chunkSizeFor produces, so a manifest's size is bounded. */
export const MAX_CHUNKS = 65536;

/**
 * Largest file size a manifest may declare: Number.MAX_SAFE_INTEGER keeps byte offsets exact.
 * In practice MAX_CHUNKS × MAX_CHUNK_SIZE (64 TiB) is the largest file a valid manifest can describe.
 */
export const MAX_FILE_SIZE = Number.MAX_SAFE_INTEGER;

/** Longest file name, in UTF-16 code units, that a manifest may carry (common file systems allow 255 bytes). */
export const MAX_NAME_LENGTH = 255;

/** Longest MIME type a manifest may carry (RFC 6838 limits each part to 127 characters). */
export const MAX_MIME_LENGTH = 255;

/**
 * Largest manifest, as UTF-8 JSON, that a peer takes from another peer (the TCP manifest answer,
 * docs/PROTOCOL.md): 5 MiB holds any valid manifest, MAX_CHUNKS hashes of 64 hex characters
 * (67 bytes each with quotes and comma, 4.4 MB) plus the longest name and MIME type. The
 * tracker takes less in an announce (MAX_ANNOUNCE_MANIFEST_JSON_BYTES, tracker/constants.ts).
 */
export const MAX_MANIFEST_JSON_BYTES = 5 * 1024 * 1024;

/** SHA-256 output, bytes. */
export const HASH_BYTES = 32;

/** A content id is SHA-256 in lowercase hex. */
export const ID_HEX_LENGTH = HASH_BYTES * 2;

/**
 * Largest block payload in one data message: 64 KiB. Chromium's data channel takes messages up to
 * 256 KiB (DESIGN.md, measured); 64 KiB blocks reach the same throughput there and fit every
 * WebRTC implementation's minimum.
 */
export const BLOCK_SIZE = 64 * 1024;

/** Largest encoded wire message: a full block plus the data header, with room to spare. */
export const MAX_MESSAGE_SIZE = BLOCK_SIZE + 1024;

/** Longest peer id in a hello message, bytes of UTF-8. */
export const MAX_PEER_ID_BYTES = 64;
