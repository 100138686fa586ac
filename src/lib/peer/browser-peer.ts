import SimplePeer from 'simple-peer/simplepeer.min.js';
import { Bitfield } from '../core/bitfield.ts';
import { toHex } from '../core/hex.ts';
import { createLogger } from '../log.ts';
import { computeContentId, createManifest, type Sha256 } from '../core/manifest.ts';
import { PeerEngine } from './engine.ts';
import type { HashWorkerMessage } from './hash-worker.ts';
import { IdbChunkStore } from './idb-store.ts';
import type { StoredFile, Visibility } from './ports.ts';
import { TrackerClient } from './tracker-client.ts';
import { WebRtcConnector, type SimplePeerFactory, type WrtcLike } from './webrtc-connector.ts';

export const webCryptoSha256: Sha256 = async (bytes) =>
  new Uint8Array(await crypto.subtle.digest('SHA-256', bytes as Uint8Array<ArrayBuffer>));

const TOKEN_KEY = 'shoal.token';
const log = createLogger('browser-peer');

/**
 * This tab's peer secret. sessionStorage is per tab and survives a reload, so every tab is its
 * own peer and keeps its id across reloads.
 */
function tabToken(): string {
  let token = sessionStorage.getItem(TOKEN_KEY);
  if (!token) {
    const b = new Uint8Array(24);
    crypto.getRandomValues(b);
    token = btoa(String.fromCharCode(...b)).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
    sessionStorage.setItem(TOKEN_KEY, token);
  }
  return token;
}

export interface BrowserPeer {
  engine: PeerEngine;
  tracker: TrackerClient;
  store: IdbChunkStore;
  /** Hashes, stores and announces a file; `onProgress` gets bytes hashed so far. */
  share(file: File, visibility: Visibility, onProgress: (bytes: number) => void): Promise<StoredFile>;
  stop(): void;
}

/** Starts this tab's peer: IndexedDB store, tracker connection, WebRTC connector, engine. */
export async function startBrowserPeer(origin: string): Promise<BrowserPeer> {
  const store = await IdbChunkStore.open();
  // The tracker derives the public id from the secret the same way (docs/TRACKER.md), so the
  // peer can start, and show its files, before the tracker answers.
  const token = tabToken();
  const peerId = toHex(await webCryptoSha256(new TextEncoder().encode(token))).slice(0, 32);
  const tracker = new TrackerClient({ url: origin, token, kind: 'browser' });
  tracker.on('connected', (info) => {
    if (info.peerId !== peerId) log.warn('the tracker derived another peer id', { expected: peerId, got: info.peerId });
  });
  const createPeer: SimplePeerFactory = (opts) => new SimplePeer(opts) as never;
  const connector = new WebRtcConnector({
    createPeer,
    wrtc: { RTCPeerConnection, RTCSessionDescription, RTCIceCandidate } as WrtcLike,
    signaller: { signal: (to, data) => tracker.signal(to, data), onSignal: (fn) => tracker.on('signal', fn) },
    iceServers: () => tracker.info?.iceServers ?? [],
    // Read at each connection, like iceServers: the tracker's hello may ask for relay-only ICE.
    get iceTransportPolicy() {
      return tracker.info?.iceTransportPolicy ?? 'all';
    }
  });
  const engine = new PeerEngine({
    peerId,
    store,
    directory: tracker,
    connector,
    sha256: webCryptoSha256,
    reputationStore: store.reputationStore()
  });
  // Every reconnect (tracker restart, network change) re-announces what this tab holds.
  tracker.on('connected', () => void engine.announceAll().catch(() => undefined));
  await engine.start();
  // Chunks of shares that stopped half-way are freed, unless some tab of this profile is sharing.
  void whenNoChunkWriters(() => store.collectOrphans())
    .then((n) => n && log.info('freed chunks of unfinished shares', { chunks: n }))
    .catch((err: unknown) => log.warn('could not free the chunks of unfinished shares', { err: String(err) }));

  function share(file: File, visibility: Visibility, onProgress: (bytes: number) => void): Promise<StoredFile> {
    return withChunkWriters(() => shareNow(file, visibility, onProgress));
  }

  async function shareNow(file: File, visibility: Visibility, onProgress: (bytes: number) => void): Promise<StoredFile> {
    const hashes = await hashInWorker(file, onProgress);
    const manifest = createManifest({
      name: file.name,
      size: file.size,
      mimeType: file.type || 'application/octet-stream',
      chunkSize: hashes.chunkSize,
      chunkHashes: hashes.hashes
    });
    const id = await computeContentId(manifest, webCryptoSha256);
    const existing = engine.file(id);
    if (existing?.have.complete) return existing;
    const record = { id, manifest, role: 'seed' as const, visibility, addedAt: Date.now() };
    await store.putFile(record);
    const stored: StoredFile = { ...record, have: Bitfield.full(manifest.chunkHashes.length) };
    await engine.addShared(stored);
    return stored;
  }

  return {
    engine,
    tracker,
    store,
    share,
    stop() {
      engine.stop();
      tracker.close();
      store.close();
    }
  };
}

/**
 * A share stores its chunks before the file record that refers to them. While one runs (in any
 * tab of this profile) it holds this Web Lock in shared mode, and the clean-up of unreferenced
 * chunks runs only when it can take the lock exclusively at once.
 */
const CHUNK_WRITERS_LOCK = 'shoal-chunk-writers';

function withChunkWriters<T>(work: () => Promise<T>): Promise<T> {
  if (typeof navigator === 'undefined' || !navigator.locks) return work();
  return navigator.locks.request(CHUNK_WRITERS_LOCK, { mode: 'shared' }, work) as Promise<T>;
}

/** Runs `work` if no tab is sharing right now; resolves to 0 without running it otherwise (and where Web Locks are missing). */
function whenNoChunkWriters(work: () => Promise<number>): Promise<number> {
  if (typeof navigator === 'undefined' || !navigator.locks) return Promise.resolve(0);
  return navigator.locks.request(CHUNK_WRITERS_LOCK, { mode: 'exclusive', ifAvailable: true }, (lock) => (lock ? work() : 0)) as Promise<number>;
}

function hashInWorker(file: File, onProgress: (bytes: number) => void): Promise<{ chunkSize: number; hashes: string[] }> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(new URL('./hash-worker.ts', import.meta.url), { type: 'module' });
    worker.onmessage = (e: MessageEvent<HashWorkerMessage>) => {
      const m = e.data;
      if (m.type === 'progress') onProgress(m.bytes);
      else {
        worker.terminate();
        if (m.type === 'done') resolve({ chunkSize: m.chunkSize, hashes: m.hashes });
        else reject(Object.assign(new Error(m.message), { name: m.name }));
      }
    };
    worker.onerror = (e) => {
      worker.terminate();
      reject(new Error(e.message || 'The hashing worker failed.'));
    };
    worker.postMessage({ file });
  });
}
