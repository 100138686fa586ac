/// <reference lib="webworker" />
import { chunkCount, chunkRange, chunkSizeFor } from '../core/chunks.ts';
import { toHex } from '../core/hex.ts';
import { openShoalDb } from './idb-schema.ts';

/**
 * Runs off the main thread: reads a dropped File chunk by chunk, hashes each chunk with
 * WebCrypto and stores it in IndexedDB under its hash. Only a few chunks are in memory at once.
 * Messages: in { file } → out { type: 'progress', bytes } … { type: 'done', chunkSize, hashes } | { type: 'error', name, message }.
 */
const IN_FLIGHT = 4; // DESIGN.md: ~1 GB/s with 4 digests in flight against 730 MB/s one at a time
/**
 * Chunks are stored several per IndexedDB transaction (DESIGN.md: 140 MB/s with one chunk per
 * transaction, 265 MB/s with 16): a batch is written once it holds this many chunks or bytes.
 */
const BATCH_CHUNKS = 16;
const BATCH_BYTES = 16 * 1024 * 1024;

export type HashWorkerMessage =
  | { type: 'progress'; bytes: number }
  | { type: 'done'; chunkSize: number; hashes: string[] }
  | { type: 'error'; name: string; message: string };

const post = (m: HashWorkerMessage) => (self as unknown as DedicatedWorkerGlobalScope).postMessage(m);

self.onmessage = async (event: MessageEvent<{ file: File }>) => {
  const { file } = event.data;
  try {
    const db = await openShoalDb();
    const chunkSize = chunkSizeFor(file.size);
    const n = chunkCount(file.size, chunkSize);
    const hashes: string[] = new Array(n);
    let done = 0;
    let failed = false;
    let batch: { hash: string; blob: Blob }[] = [];
    let batchBytes = 0;
    /** The writes so far, one after the other; rejects (for every later waiter too) if one failed. */
    let writing: Promise<void> = Promise.resolve();
    /** Writes the batch gathered so far in one transaction; resolves when it is stored. */
    const flush = (): Promise<void> => {
      if (batch.length === 0) return writing;
      const items = batch;
      batch = [];
      batchBytes = 0;
      writing = writing.then(async () => {
        const tx = db.transaction('chunks', 'readwrite');
        for (const { hash, blob } of items) void tx.store.put(blob, hash).catch(() => undefined); // tx.done reports it
        await tx.done;
      });
      writing.catch(() => (failed = true));
      return writing;
    };
    let next = 0;
    const work = async () => {
      while (next < n && !failed) {
        const i = next++;
        const { start, end } = chunkRange(file.size, chunkSize, i);
        const buf = await file.slice(start, end).arrayBuffer();
        const hash = toHex(new Uint8Array(await crypto.subtle.digest('SHA-256', buf)));
        hashes[i] = hash;
        batch.push({ hash, blob: new Blob([buf]) });
        batchBytes += end - start;
        done += end - start;
        post({ type: 'progress', bytes: done });
        // The worker that fills a batch waits for it to be written: at most about one batch
        // and IN_FLIGHT chunks are in memory at once.
        if (batch.length >= BATCH_CHUNKS || batchBytes >= BATCH_BYTES) await flush();
      }
    };
    await Promise.all(Array.from({ length: Math.min(IN_FLIGHT, Math.max(1, n)) }, work));
    await flush();
    db.close();
    post({ type: 'done', chunkSize, hashes });
  } catch (err) {
    const e = err as Error;
    post({ type: 'error', name: e?.name ?? 'Error', message: e?.message ?? String(err) });
  }
};
