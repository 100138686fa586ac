import { createHash, randomBytes } from 'node:crypto';
import type { Sha256 } from '../src/lib/core/manifest.ts';

/** core's Sha256 port backed by node:crypto (DESIGN.md: 1.2–1.8 GB/s here). */
export const nodeSha256: Sha256 = async (bytes) => new Uint8Array(createHash('sha256').update(bytes).digest());

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
