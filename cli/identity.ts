import { createHash, randomBytes, webcrypto } from 'node:crypto';
import type { Sha256 } from '../src/lib/core/manifest.ts';
import { OFF_THREAD_HASH_BYTES } from './constants.ts';

/**
 * core's Sha256 port backed by node:crypto (DESIGN.md: 1.2–1.8 GB/s here). Large inputs (the
 * chunks a download verifies) are hashed by WebCrypto, which runs the digest in libuv's thread
 * pool: the event loop goes on receiving the next chunk meanwhile (the hash was a fifth of a
 * downloading `shoal`'s main thread). Small ones (manifests, ids) are hashed at once.
 */
export const nodeSha256: Sha256 = async (bytes) =>
  bytes.length >= OFF_THREAD_HASH_BYTES ? new Uint8Array(await webcrypto.subtle.digest('SHA-256', bytes)) : new Uint8Array(createHash('sha256').update(bytes).digest());

/** Synchronous SHA-256 in hex, for hashing chunks read from disk. */
export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/**
 * The public peer id of a secret, derived as the tracker derives it (docs/TRACKER.md,
 * "Connecting"): SHA-256 of the UTF-8 token, first 32 hex characters. The Node peer uses the same
 * id on the LAN, so a peer reached by the tracker and by LAN discovery is one peer.
 */
export function derivePeerId(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex').slice(0, 32);
}

/** A fresh secret for a process that must not take the data directory's identity. */
export function ephemeralToken(): string {
  return randomBytes(32).toString('base64url');
}
