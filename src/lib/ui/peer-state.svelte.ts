import type { DownloadStatus } from '$lib/peer/download.ts';
import type { BrowserPeer } from '$lib/peer/browser-peer.ts';
import type { StoredFile, Visibility } from '$lib/peer/ports.ts';
import type { EngineStats } from '$lib/peer/engine.ts';
import type { PeerReputation } from '$lib/core/reputation.ts';

/** Seconds of transfer history the peer dashboard charts. */
const HISTORY_SECONDS = 120;
/** How often the header asks the tracker how many peers its network has (GET /api/health). */
const NETWORK_POLL_MS = 15_000;
const UPLOAD_LIMIT_KEY = 'shoal.uploadLimitKiB';
const SUPER_SEED_KEY = 'shoal.superSeed';

export interface FileView {
  id: string;
  name: string;
  size: number;
  mimeType: string;
  role: 'seed' | 'download';
  visibility: Visibility;
  have: number;
  chunks: number;
  complete: boolean;
}

export interface HashingJob {
  key: number;
  name: string;
  size: number;
  bytes: number;
  error: string;
}

/** Peer problems worth showing on a download page. */
const SHOWN_PROBLEMS = new Set(['CHUNK_HASH_MISMATCH', 'BAD_CHUNK', 'PEER_DROPPED', 'TIMEOUT', 'CONNECT_FAILED', 'BAD_HAVE']);

function view(f: StoredFile): FileView {
  return {
    id: f.id,
    name: f.manifest.name,
    size: f.manifest.size,
    mimeType: f.manifest.mimeType,
    role: f.role,
    visibility: f.visibility,
    have: f.have.count,
    chunks: f.have.size,
    complete: f.have.complete
  };
}

/** This tab's peer as reactive state for the pages (Svelte 5 runes). */
class PeerState {
  status = $state<'starting' | 'online' | 'offline' | 'failed'>('starting');
  error = $state('');
  peerId = $state('');
  /** Open connections to other peers (WebRTC sessions) of this tab. */
  sessions = $state(0);
  /** Peers online in the tracker's network, this tab included (GET /api/health); null: unknown. */
  networkPeers = $state<number | null>(null);
  files = $state<FileView[]>([]);
  downloads = $state<Record<string, DownloadStatus>>({});
  hashing = $state<HashingJob[]>([]);
  /** Problems with peers per download (corrupt chunks, drops, timeouts), newest last. */
  problems = $state<Record<string, { peerId: string; code: string; message: string }[]>>({});
  storage = $state<{ usage: number; quota: number; persisted: boolean } | null>(null);
  stats = $state<EngineStats | null>(null);
  /** Upload and download rates, one point a second, oldest first. */
  rateHistory = $state<{ t: number; up: number; down: number }[]>([]);
  reputation = $state<PeerReputation[]>([]);
  connections = $state<{ peerId: string; label: string; bytesUp: number; bytesDown: number }[]>([]);
  /** Upload limit for this browser profile, KiB/s; 0 is unlimited. */
  uploadLimitKiB = $state(0);
  /** Super-seeding for this browser profile: each chunk of a seeded file handed out once. */
  superSeed = $state(false);
  peer: BrowserPeer | null = null;
  #starting: Promise<BrowserPeer> | null = null;
  #jobKey = 0;

  /** Starts the peer once; pages await it before using `peer`. */
  start(): Promise<BrowserPeer> {
    this.#starting ??= this.#start();
    return this.#starting;
  }

  async #start(): Promise<BrowserPeer> {
    try {
      const { startBrowserPeer } = await import('$lib/peer/browser-peer.ts');
      const peer = await startBrowserPeer(location.origin);
      this.peer = peer;
      this.peerId = peer.engine.peerId;
      this.uploadLimitKiB = Number(localStorage.getItem(UPLOAD_LIMIT_KEY)) || 0;
      peer.engine.uploadLimiter.setRate(this.uploadLimitKiB * 1024);
      this.superSeed = localStorage.getItem(SUPER_SEED_KEY) === '1';
      peer.engine.setSuperSeed(this.superSeed);
      this.status = peer.tracker.connected ? 'online' : 'offline';
      peer.tracker.on('connected', () => {
        this.status = 'online';
        void this.#countNetwork();
      });
      peer.tracker.on('disconnected', () => {
        this.status = 'offline';
        this.networkPeers = null;
      });
      void this.#countNetwork();
      setInterval(() => void this.#countNetwork(), NETWORK_POLL_MS);
      peer.engine.on('files', () => this.#refreshFiles());
      peer.engine.on('sessions', () => (this.sessions = peer.engine.sessionCount()));
      peer.engine.on('reputation', () => (this.#reputationDirty = true));
      this.reputation = peer.engine.reputation.all();
      setInterval(() => this.#sample(), 1000);
      peer.engine.on('warning', (peerId, code, message, id) => {
        if (!id || !SHOWN_PROBLEMS.has(code)) return;
        const list = (this.problems[id] ??= []);
        list.push({ peerId, code, message });
        if (list.length > 50) list.splice(0, list.length - 50);
      });
      peer.engine.on('download', (s) => {
        this.downloads[s.id] = s;
        const f = this.files.find((x) => x.id === s.id);
        if (f) {
          f.have = s.have;
          f.complete = s.have === s.chunks;
        }
      });
      this.#refreshFiles();
      void this.#checkStorage();
      return peer;
    } catch (err) {
      this.status = 'failed';
      this.error = startError(err);
      throw err;
    }
  }

  async share(files: File[], visibility: Visibility): Promise<void> {
    const peer = await this.start();
    await this.#askPersistence();
    for (const file of files) {
      const job: HashingJob = { key: ++this.#jobKey, name: file.name, size: file.size, bytes: 0, error: '' };
      this.hashing.push(job);
      const live = this.hashing[this.hashing.length - 1];
      try {
        await peer.share(file, visibility, (bytes) => (live.bytes = bytes));
        this.hashing = this.hashing.filter((j) => j.key !== job.key);
      } catch (err) {
        live.error = storageError(err);
      }
    }
    void this.#checkStorage();
  }

  setUploadLimit(kib: number): void {
    const value = Number.isFinite(kib) && kib > 0 ? Math.floor(kib) : 0;
    this.uploadLimitKiB = value;
    localStorage.setItem(UPLOAD_LIMIT_KEY, String(value));
    this.peer?.engine.uploadLimiter.setRate(value * 1024);
  }

  setSuperSeed(on: boolean): void {
    this.superSeed = on;
    localStorage.setItem(SUPER_SEED_KEY, on ? '1' : '0');
    this.peer?.engine.setSuperSeed(on);
  }

  dismissJob(key: number): void {
    this.hashing = this.hashing.filter((j) => j.key !== key);
  }

  async remove(id: string): Promise<void> {
    const peer = await this.start();
    await peer.engine.remove(id);
    delete this.downloads[id];
    void this.#checkStorage();
  }

  #reputationDirty = false;

  /** Once a second: totals, rates, connections and (if changed) reputation, for the live views. */
  #sample(): void {
    const peer = this.peer;
    if (!peer) return;
    const stats = peer.engine.stats();
    this.stats = stats;
    this.connections = peer.engine.sessionList();
    const next = [...this.rateHistory, { t: Date.now(), up: stats.upRate, down: stats.downRate }];
    this.rateHistory = next.slice(-HISTORY_SECONDS);
    if (this.#reputationDirty) {
      this.#reputationDirty = false;
      this.reputation = peer.engine.reputation.all();
    }
  }

  /** Asks the tracker how many peers its network has; an answer it cannot give leaves it unknown. */
  async #countNetwork(): Promise<void> {
    if (this.status !== 'online') return;
    try {
      const res = await fetch('/api/health', { cache: 'no-store' });
      const body = (await res.json()) as { peers?: unknown };
      this.networkPeers = typeof body.peers === 'number' && Number.isInteger(body.peers) && body.peers >= 0 ? body.peers : null;
    } catch {
      this.networkPeers = null;
    }
  }

  #refreshFiles(): void {
    if (this.peer) this.files = this.peer.engine.files().map(view);
  }

  async #askPersistence(): Promise<void> {
    try {
      if (navigator.storage?.persist && !(await navigator.storage.persisted())) await navigator.storage.persist();
    } catch {
      // Not granted: the browser may evict under pressure; the storage line says so.
    }
  }

  async #checkStorage(): Promise<void> {
    try {
      const est = await navigator.storage.estimate();
      this.storage = { usage: est.usage ?? 0, quota: est.quota ?? 0, persisted: await navigator.storage.persisted() };
    } catch {
      this.storage = null;
    }
  }
}

function startError(err: unknown): string {
  const e = err as Error;
  if (e?.name === 'InvalidStateError' || /indexeddb/i.test(e?.message ?? '')) {
    return `This browser refused storage (IndexedDB): ${e.message}. Private windows and some settings block it; Shoal needs it to hold files.`;
  }
  return `Could not start the peer: ${e?.message ?? String(err)}`;
}

export function storageError(err: unknown): string {
  const e = err as Error;
  if (e?.name === 'QuotaExceededError') {
    return 'Storage is full: the browser refused to store more. Free space or remove files from Shoal, then try again.';
  }
  return e?.message ?? String(err);
}

export const shoal = new PeerState();
