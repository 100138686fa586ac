/**
 * The files simulated peers announce: small valid manifests (64 chunk hashes of 16 KiB chunks),
 * made the same way in every load-generator process so that file k has one content id everywhere.
 */
import { createHash } from 'node:crypto';
import { computeContentId, createManifest, type Manifest } from '../../src/lib/core/manifest.ts';
import { nodeSha256 } from '../../server/node-crypto.ts';

/** Words in file names; a search for one word matches about 1 in WORDS.length files. */
export const WORDS = ['holiday', 'report', 'photos', 'music', 'video', 'thesis', 'backup', 'dataset', 'slides', 'archive', 'notes', 'budget'];

/** Popular files every peer also announces, so that swarms are large (index base keeps them apart). */
export const POPULAR_FILES = 50;
export const POPULAR_BASE = 10_000_000;

const CHUNKS = 64;
const CHUNK_SIZE = 16 * 1024;

export interface BenchFile {
  id: string;
  manifest: Manifest;
}

const cache = new Map<number, Promise<BenchFile>>();

export function benchFile(k: number): Promise<BenchFile> {
  let f = cache.get(k);
  if (!f) {
    f = (async () => {
      const chunkHashes = Array.from({ length: CHUNKS }, (_, c) => createHash('sha256').update(`${k}:${c}`).digest('hex'));
      const manifest = createManifest({
        name: `file-${k} ${WORDS[k % WORDS.length]}.bin`,
        size: CHUNKS * CHUNK_SIZE,
        mimeType: 'application/octet-stream',
        chunkSize: CHUNK_SIZE,
        chunkHashes
      });
      return { id: await computeContentId(manifest, nodeSha256), manifest };
    })();
    cache.set(k, f);
  }
  return f;
}

/** Peer g shares a file with its partner g ^ 1 (so they may signal each other) and one popular file. */
export function filesOfPeer(g: number): number[] {
  return [Math.floor(g / 2), POPULAR_BASE + (g % POPULAR_FILES)];
}

export const FILE_CHUNKS = CHUNKS;
