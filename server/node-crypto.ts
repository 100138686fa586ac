/** SHA-256 from node:crypto, in the shapes the tracker needs. */
import { createHash } from 'node:crypto';
import type { Sha256 } from '../src/lib/core/manifest.ts';

/** core's Sha256 port, backed by node:crypto. */
export const nodeSha256: Sha256 = async (bytes) => new Uint8Array(createHash('sha256').update(bytes).digest());

/** Length of a public peer id in hex characters. */
export const PEER_ID_HEX_LENGTH = 32;

/** The public peer id of a client secret: SHA-256 of the token (UTF-8), first 32 hex characters. */
export function derivePeerId(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex').slice(0, PEER_ID_HEX_LENGTH);
}
