/**
 * Attaches the tracker (Socket.IO + REST + presence sweep + index store) to an existing HTTP
 * server: the production server (shoal-server.ts) and Vite's dev server (vite-plugin.ts) both
 * use this. It never closes the HTTP server itself.
 */
import { mkdirSync } from 'node:fs';
import type { Server as HttpServer } from 'node:http';
import { join } from 'node:path';
import { Server } from 'socket.io';
import { createLogger, type Logger } from '../src/lib/log.ts';
import { DEFAULT_EXPIRY_MS, DEFAULT_HEARTBEAT_MS, MAX_HTTP_BUFFER_BYTES, MIN_EXPIRY_MS } from '../src/lib/tracker/constants.ts';
import type { IndexStore } from '../src/lib/tracker/index-store.ts';
import { iceServersSchema, type IceServer } from '../src/lib/tracker/schemas.ts';
import { SqliteIndexStore } from '../src/lib/tracker/sqlite-store.ts';
import { Tracker } from '../src/lib/tracker/tracker.ts';
import { nodeSha256 } from './node-crypto.ts';
import { createRestHandler, type RestHandler } from './rest-api.ts';
import { attachSocketApi } from './socket-api.ts';

export interface TrackerHostOptions {
  /** Directory of `tracker.sqlite`; created if missing. */
  dataDir: string;
  iceServers?: IceServer[];
  heartbeatMs?: number;
  expiryMs?: number;
  /** Socket.IO path, default '/socket.io'. */
  path?: string;
  log?: Logger;
  /** Set false when another component also takes WebSocket upgrades on this server (Vite's HMR). */
  destroyUpgrade?: boolean;
  /** Another IndexStore instead of SQLite in dataDir; the host closes it. */
  store?: IndexStore;
}

export interface TrackerHost {
  readonly tracker: Tracker;
  readonly io: Server;
  /** Connect-style middleware serving /api/*; other paths go to `next`. */
  readonly rest: RestHandler;
  /** Disconnects every client, stops timers, closes the store. Idempotent. */
  close(): Promise<void>;
}

/** How often silent peers are looked for: a quarter of the expiry, between 10 ms and 10 s. */
export function sweepIntervalMs(expiryMs: number): number {
  return Math.max(10, Math.min(10_000, Math.floor(expiryMs / 4)));
}

function checkOptions(opts: TrackerHostOptions): { iceServers: IceServer[]; heartbeatMs: number; expiryMs: number } {
  if (typeof opts.dataDir !== 'string' || opts.dataDir === '') throw new TypeError('dataDir must be a directory path.');
  const ice = iceServersSchema.safeParse(opts.iceServers ?? []);
  if (!ice.success) throw new TypeError(`iceServers: ${ice.error.issues[0]?.message ?? 'invalid'}`);
  const expiryMs = opts.expiryMs ?? DEFAULT_EXPIRY_MS;
  const heartbeatMs = opts.heartbeatMs ?? Math.min(DEFAULT_HEARTBEAT_MS, Math.floor(expiryMs / 3));
  if (!Number.isSafeInteger(expiryMs) || expiryMs < MIN_EXPIRY_MS) throw new TypeError(`expiryMs must be an integer ≥ ${MIN_EXPIRY_MS}.`);
  if (!Number.isSafeInteger(heartbeatMs) || heartbeatMs < 1 || heartbeatMs >= expiryMs) {
    throw new TypeError('heartbeatMs must be a positive integer below expiryMs.');
  }
  return { iceServers: ice.data, heartbeatMs, expiryMs };
}

/** The default store: `<dataDir>/tracker.sqlite`, the directory created if missing. */
export function openSqliteStore(dataDir: string): SqliteIndexStore {
  mkdirSync(dataDir, { recursive: true });
  return new SqliteIndexStore(join(dataDir, 'tracker.sqlite'));
}

export function createTrackerHost(httpServer: HttpServer, opts: TrackerHostOptions): TrackerHost {
  const options = checkOptions(opts);
  const log = opts.log ?? createLogger('tracker');
  const store = opts.store ?? openSqliteStore(opts.dataDir);
  const tracker = new Tracker({ store, sha256: nodeSha256, log: log.child('core') }, options);
  const io = new Server(httpServer, {
    path: opts.path ?? '/socket.io',
    maxHttpBufferSize: MAX_HTTP_BUFFER_BYTES,
    serveClient: false,
    destroyUpgrade: opts.destroyUpgrade ?? true
  });
  const socketApi = attachSocketApi(io, tracker, { log: log.child('socket') });
  const rest = createRestHandler(tracker, { log: log.child('rest') });
  const sweep = setInterval(() => {
    for (const peerId of tracker.sweep()) {
      log.debug('peer expired', { peerId });
      socketApi.drop(peerId);
    }
  }, sweepIntervalMs(options.expiryMs));
  sweep.unref();

  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closing ??= (async () => {
      clearInterval(sweep);
      socketApi.close();
      io.engine.close();
      await store.close();
    })();
    return closing;
  };
  return { tracker, io, rest, close };
}
