import { io, type Socket } from 'socket.io-client';
import { Emitter } from './emitter.ts';
import type { HelloResult, IceServer, SearchHit } from '../tracker/api.ts';
import { isTrackerErrorCode, TrackerError } from '../tracker/errors.ts';
import type { AnnounceEntry, Directory, RemotePeer, TransferReport } from './ports.ts';

/** The tracker's greeting (docs/TRACKER.md, `hello`); its types live with the tracker's API. */
export type HelloInfo = Omit<HelloResult, 'iceTransportPolicy'> & { iceTransportPolicy?: HelloResult['iceTransportPolicy'] };
export type RTCIceServerLike = IceServer;
export type SearchResult = SearchHit;

export interface TrackerClientOptions {
  /**
   * The tracker, or several processes of one network (REDIS_URL on the tracker side): after
   * FAILOVER_ATTEMPTS failed connection attempts in a row the client moves on to the next URL.
   */
  url: string | readonly string[];
  /** The secret this peer's public id derives from; persist it to keep the id. */
  token: string;
  kind: 'browser' | 'node';
  /** How long to wait for an acknowledgement. */
  ackTimeoutMs?: number;
  /** The timers behind the reconnect delay; the global ones by default (tests pass their own). */
  timers?: Timers;
}

/** What the client needs of a clock to wait before reconnecting. */
export interface Timers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

const GLOBAL_TIMERS: Timers = {
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>)
};

export interface TrackerEvents extends Record<string, unknown[]> {
  /** Connected (again) and greeted: re-announce now. */
  connected: [info: HelloInfo];
  disconnected: [reason: string];
  /** The same peer (same secret) connected from elsewhere; this client stays offline. */
  replaced: [];
  signal: [from: string, data: unknown];
}

/** Failed connection attempts in a row after which a client with several URLs tries the next one. */
export const FAILOVER_ATTEMPTS = 2;
/** Most tracker URLs a client keeps (given and learnt). */
const MAX_URLS = 32;

/** The tracker's Socket.IO API (docs/TRACKER.md) as a Directory plus the signalling relay. */
export class TrackerClient extends Emitter<TrackerEvents> implements Directory {
  #socket: Socket;
  readonly #urls: string[];
  #current = 0;
  #failures = 0;
  readonly #auth: { token: string; kind: 'browser' | 'node' };
  readonly #ackTimeoutMs: number;
  #info: HelloInfo | null = null;
  #heartbeat: ReturnType<typeof setInterval> | null = null;
  #closed = false;
  /** Why the server last said it was closing our connection (`bye` event). */
  #bye: string | null = null;
  #reconnect: unknown = null;
  readonly #timers: Timers;

  constructor(opts: TrackerClientOptions) {
    super();
    this.#ackTimeoutMs = opts.ackTimeoutMs ?? 15_000;
    this.#timers = opts.timers ?? GLOBAL_TIMERS;
    this.#urls = typeof opts.url === 'string' ? [opts.url] : [...opts.url];
    if (this.#urls.length === 0) throw new TypeError('TrackerClient needs at least one URL.');
    this.#auth = { token: opts.token, kind: opts.kind };
    this.#socket = this.#open(this.#urls[0]);
  }

  /** The URL of the tracker this client uses now. */
  get url(): string {
    return this.#urls[this.#current];
  }

  #open(url: string): Socket {
    const socket = io(url, { auth: this.#auth, transports: ['websocket'], reconnectionDelayMax: 5000 });
    socket.on('connect', () => {
      this.#failures = 0;
      void this.#greet();
    });
    socket.on('bye', (m: unknown) => {
      const code = (m as { code?: unknown } | null)?.code;
      this.#bye = typeof code === 'string' ? code : 'UNKNOWN';
    });
    socket.on('disconnect', (reason) => {
      this.#stopHeartbeat();
      this.#info = null;
      this.emit('disconnected', this.#bye ? `${reason} (${this.#bye})` : String(reason));
      // socket.io-client reconnects by itself except when the server closed the connection.
      if (reason !== 'io server disconnect' || this.#closed) return;
      if (this.#bye === 'REPLACED') {
        this.emit('replaced');
        return;
      }
      this.#bye = null;
      this.#reconnect = this.#timers.setTimeout(() => this.#socket.connect(), 1000 + Math.random() * 2000);
    });
    socket.on('connect_error', (err) => {
      this.emit('disconnected', err.message);
      if (this.#urls.length > 1 && !this.#closed && ++this.#failures >= FAILOVER_ATTEMPTS) this.#failover();
    });
    socket.on('signal', (msg: unknown) => {
      const m = msg as { from?: unknown; data?: unknown } | null;
      if (m && typeof m.from === 'string') this.emit('signal', m.from, m.data);
    });
    return socket;
  }

  /** Leaves the current URL (it failed FAILOVER_ATTEMPTS times in a row) for the next one. */
  #failover(): void {
    const old = this.#socket;
    old.off();
    old.disconnect();
    this.#stopHeartbeat();
    this.#info = null;
    this.#bye = null;
    this.#failures = 0;
    this.#current = (this.#current + 1) % this.#urls.length;
    this.emit('disconnected', `trying the next tracker: ${this.url}`);
    this.#socket = this.#open(this.url);
  }

  get info(): HelloInfo | null {
    return this.#info;
  }

  get connected(): boolean {
    return this.#socket.connected && this.#info !== null;
  }

  /** Resolves with the greeting once connected (at once if already). */
  ready(): Promise<HelloInfo> {
    if (this.connected) return Promise.resolve(this.#info!);
    return new Promise((resolve) => {
      const off = this.on('connected', (info) => {
        off();
        resolve(info);
      });
    });
  }

  async announce(files: AnnounceEntry[]): Promise<void> {
    for (let i = 0; i < files.length; i += 500) await this.request('announce', { files: files.slice(i, i + 500) });
  }

  async unannounce(ids: string[]): Promise<void> {
    await this.request('unannounce', { ids });
  }

  async whoHas(id: string): Promise<RemotePeer[]> {
    const res = await this.request<{ peers: RemotePeer[] }>('whohas', { id });
    return res.peers;
  }

  async manifest(id: string): Promise<unknown> {
    const res = await this.request<{ manifest: unknown }>('manifest', { id });
    return res.manifest;
  }

  async search(q: string, limit = 20, offset = 0): Promise<{ total: number; results: SearchResult[] }> {
    return this.request('search', { q, limit, offset });
  }

  async report(r: TransferReport): Promise<void> {
    await this.request('report', r);
  }

  async signal(to: string, data: unknown): Promise<void> {
    await this.request('signal', { to, data });
  }

  /** Sends one event and resolves with its acknowledgement, or throws TrackerError. */
  async request<T = Record<string, unknown>>(event: string, payload: unknown): Promise<T> {
    if (this.#closed) throw new TrackerError('CLOSED', 'The tracker connection is closed.');
    // While (re)connecting, wait up to the ack timeout for the greeting instead of failing at once.
    if (event !== 'hello' && !this.connected) await this.#readyWithin(this.#ackTimeoutMs);
    if (!this.#socket.connected) throw new TrackerError('TRACKER_UNREACHABLE', 'Not connected to the tracker.');
    let res: { ok: boolean; code?: string; message?: string } & Record<string, unknown>;
    try {
      res = await this.#socket.timeout(this.#ackTimeoutMs).emitWithAck(event, payload);
    } catch {
      throw new TrackerError('TIMEOUT', `The tracker did not answer ${event} in time.`);
    }
    if (!res || typeof res !== 'object') throw new TrackerError('BAD_RESPONSE', `Malformed answer to ${event}.`);
    if (!res.ok) {
      const message = typeof res.message === 'string' ? res.message : `${event} failed.`;
      if (isTrackerErrorCode(res.code)) throw new TrackerError(res.code, message);
      throw new TrackerError('BAD_RESPONSE', `The tracker refused ${event} with no known code (${JSON.stringify(res.code ?? null)}): ${message}`);
    }
    return res as T;
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#stopHeartbeat();
    if (this.#reconnect !== null) this.#timers.clearTimeout(this.#reconnect);
    this.#socket.disconnect();
    this.removeAll();
  }

  #readyWithin(ms: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        off();
        reject(new TrackerError('TRACKER_UNREACHABLE', 'Not connected to the tracker.'));
      }, ms);
      const off = this.on('connected', () => {
        clearTimeout(timer);
        off();
        resolve();
      });
    });
  }

  async #greet(): Promise<void> {
    try {
      const info = await this.request<HelloInfo>('hello', {});
      if (this.#closed) return;
      this.#info = info;
      this.#learn(info.trackers);
      this.#stopHeartbeat();
      this.#heartbeat = setInterval(
        () =>
          void this.request<{ trackers?: unknown }>('heartbeat', {})
            .then((r) => this.#learn(r.trackers))
            .catch(() => undefined),
        info.heartbeatMs
      );
      this.emit('connected', info);
    } catch (err) {
      this.emit('disconnected', (err as Error).message);
    }
  }

  /** Other processes of this network (hello, heartbeat answers): where to go if this one dies. */
  #learn(trackers: unknown): void {
    if (!Array.isArray(trackers)) return;
    for (const u of trackers) if (typeof u === 'string' && /^https?:\/\/[^\s]+$/.test(u) && u.length <= 2048 && !this.#urls.includes(u) && this.#urls.length < MAX_URLS) this.#urls.push(u);
  }

  #stopHeartbeat(): void {
    if (this.#heartbeat) clearInterval(this.#heartbeat);
    this.#heartbeat = null;
  }
}
