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
import {
  DEFAULT_DASHBOARD_INTERVAL_MS,
  DEFAULT_EXPIRY_MS,
  DEFAULT_HEARTBEAT_MS,
  DEFAULT_STATS_INTERVAL_MS,
  DEFAULT_STATS_RETENTION_MS,
  MAX_DASHBOARD_CLIENTS,
  MAX_HTTP_BUFFER_BYTES,
  MIN_EXPIRY_MS
} from '../src/lib/tracker/constants.ts';
import type { IndexStore } from '../src/lib/tracker/index-store.ts';
import { iceServersSchema, iceTransportPolicySchema, type IceServer, type IceTransportPolicy } from '../src/lib/tracker/schemas.ts';
import { PgIndexStore, type PgStoreOptions } from '../src/lib/server/tracker/pg-store.ts';
import { SqliteIndexStore } from '../src/lib/server/tracker/sqlite-store.ts';
import type { NetworkCounters } from '../src/lib/tracker/stats.ts';
import { Tracker } from '../src/lib/tracker/tracker.ts';
import { DEFAULT_INDEX_RETENTION_DAYS, INDEX_SWEEP_INTERVAL_MS } from './constants.ts';
import { nodeSha256 } from './node-crypto.ts';
import { attachDashboardFeed } from './dashboard-feed.ts';
import { createRestHandler, type RestHandler } from './rest-api.ts';
import { attachSocketApi } from './socket-api.ts';
import { createTurnCredentials, type TurnCredentialOptions } from './turn-credentials.ts';
import { openRedisShared, type RedisOptions, type RedisShared } from './redis-shared.ts';
import { redactUrl } from '../src/lib/server/redact-url.ts';

export interface TrackerHostOptions {
  /** Directory of `tracker.sqlite`; created if missing. */
  dataDir: string;
  iceServers?: IceServer[];
  /** A TURN server using coturn's shared-secret scheme: each peer gets its own short-lived credentials in hello. */
  turn?: TurnCredentialOptions;
  /** Handed to peers in hello (default 'all'); 'relay' forces TURN-relayed connections. */
  iceTransportPolicy?: IceTransportPolicy;
  heartbeatMs?: number;
  expiryMs?: number;
  /** Socket.IO path, default '/socket.io'. */
  path?: string;
  log?: Logger;
  /** Set false when another component also takes WebSocket upgrades on this server (Vite's HMR). */
  destroyUpgrade?: boolean;
  /** Another IndexStore instead of SQLite in dataDir; the host closes it. */
  store?: IndexStore;
  /**
   * Several processes, one network: the Socket.IO adapter, presence, and (without `database`)
   * index and history all on this Redis (REDIS_URL). Without it: in-memory adapter and presence,
   * SQLite index (or PostgreSQL with `database`).
   */
  redis?: RedisOptions;
  /**
   * The file index and statistics history in PostgreSQL (DATABASE_URL) instead of SQLite or Redis.
   * With `redis` too: the set-up for several processes (Redis for the adapter and presence,
   * PostgreSQL for what is searched). Ignored when `store` is given.
   */
  database?: PgStoreOptions;
  /**
   * With `redis`: the URL clients reach this process at (SHOAL_PUBLIC_URL). Advertised to the
   * network; hello hands clients the live processes' URLs, so a client whose process dies moves
   * on to another without a balancer.
   */
  publicUrl?: string;
  /** How often a statistics history point is written (default one minute; tests use less). */
  statsIntervalMs?: number;
  /** History points older than this are pruned (default 7 days). */
  statsRetentionMs?: number;
  /**
   * Files no peer announced (or kept seen) for this long are purged from the index by a
   * background sweep (SHOAL_INDEX_RETENTION_DAYS, default 30 days).
   */
  indexRetentionMs?: number;
  /** How often that sweep runs (default one hour; tests use less). */
  indexSweepIntervalMs?: number;
  /** How often dashboards (namespace /dashboard) get a fresh overview (default 2 s). */
  dashboardIntervalMs?: number;
  /** The tracker's clock, Date.now by default (tests pass their own). */
  now?: () => number;
}

export interface TrackerHost {
  readonly tracker: Tracker;
  readonly io: Server;
  /** Connect-style middleware serving /api/*; other paths go to `next`. */
  readonly rest: RestHandler;
  /** Resolves once shared backends (Redis, PostgreSQL) answer; rejects with a clear message if they do not. */
  ready(): Promise<void>;
  /** Disconnects every client, stops timers, closes the store. Idempotent. */
  close(): Promise<void>;
}

/** How often silent peers are looked for: a quarter of the expiry, between 10 ms and 10 s. */
export function sweepIntervalMs(expiryMs: number): number {
  return Math.max(10, Math.min(10_000, Math.floor(expiryMs / 4)));
}

interface CheckedOptions {
  iceServers: IceServer[];
  iceTransportPolicy: IceTransportPolicy;
  heartbeatMs: number;
  expiryMs: number;
  statsIntervalMs: number;
  statsRetentionMs: number;
  indexRetentionMs: number;
  indexSweepIntervalMs: number;
  dashboardIntervalMs: number;
}

/** An interval option: a whole number of milliseconds within [min, max]. */
function interval(name: string, value: number | undefined, fallback: number, min: number, max = 2 ** 31 - 1): number {
  const ms = value ?? fallback;
  if (!Number.isSafeInteger(ms) || ms < min || ms > max) throw new TypeError(`${name} must be an integer between ${min} and ${max}.`);
  return ms;
}

function checkOptions(opts: TrackerHostOptions): CheckedOptions {
  if (typeof opts.dataDir !== 'string' || opts.dataDir === '') throw new TypeError('dataDir must be a directory path.');
  const ice = iceServersSchema.safeParse(opts.iceServers ?? []);
  if (!ice.success) throw new TypeError(`iceServers: ${ice.error.issues[0]?.message ?? 'invalid'}`);
  const expiryMs = opts.expiryMs ?? DEFAULT_EXPIRY_MS;
  const heartbeatMs = opts.heartbeatMs ?? Math.min(DEFAULT_HEARTBEAT_MS, Math.floor(expiryMs / 3));
  if (!Number.isSafeInteger(expiryMs) || expiryMs < MIN_EXPIRY_MS) throw new TypeError(`expiryMs must be an integer ≥ ${MIN_EXPIRY_MS}.`);
  if (!Number.isSafeInteger(heartbeatMs) || heartbeatMs < 1 || heartbeatMs >= expiryMs) {
    throw new TypeError('heartbeatMs must be a positive integer below expiryMs.');
  }
  const policy = iceTransportPolicySchema.safeParse(opts.iceTransportPolicy ?? 'all');
  if (!policy.success) throw new TypeError("iceTransportPolicy must be 'all' or 'relay'.");
  return {
    iceServers: ice.data,
    iceTransportPolicy: policy.data,
    heartbeatMs,
    expiryMs,
    statsIntervalMs: interval('statsIntervalMs', opts.statsIntervalMs, DEFAULT_STATS_INTERVAL_MS, 10),
    statsRetentionMs: interval('statsRetentionMs', opts.statsRetentionMs, DEFAULT_STATS_RETENTION_MS, 1, Number.MAX_SAFE_INTEGER),
    dashboardIntervalMs: interval('dashboardIntervalMs', opts.dashboardIntervalMs, DEFAULT_DASHBOARD_INTERVAL_MS, 10),
    indexRetentionMs: interval('indexRetentionMs', opts.indexRetentionMs, DEFAULT_INDEX_RETENTION_DAYS * 86_400_000, 1, Number.MAX_SAFE_INTEGER),
    indexSweepIntervalMs: interval('indexSweepIntervalMs', opts.indexSweepIntervalMs, INDEX_SWEEP_INTERVAL_MS, 10)
  };
}

/** The default store: `<dataDir>/tracker.sqlite`, the directory created if missing. */
export function openSqliteStore(dataDir: string): SqliteIndexStore {
  mkdirSync(dataDir, { recursive: true });
  return new SqliteIndexStore(join(dataDir, 'tracker.sqlite'));
}

export function createTrackerHost(httpServer: HttpServer, opts: TrackerHostOptions): TrackerHost {
  const options = checkOptions(opts);
  const turnServer = opts.turn ? createTurnCredentials(opts.turn) : undefined;
  const log = opts.log ?? createLogger('tracker');
  const shared: RedisShared | undefined = opts.redis ? openRedisShared(opts.redis, log.child('redis')) : undefined;
  const pgStore = !opts.store && opts.database ? new PgIndexStore(opts.database) : undefined;
  const store = opts.store ?? pgStore ?? shared?.store ?? openSqliteStore(opts.dataDir);
  /** The network's counters (with Redis), refreshed on the dashboard timer. */
  let network: NetworkCounters | undefined;
  const tracker = new Tracker(
    {
      store,
      sha256: nodeSha256,
      now: opts.now,
      log: log.child('core'),
      turnServer,
      presence: shared?.presence,
      networkCounters: () => network,
      trackerUrls: shared ? () => shared.trackerUrls() : undefined
    },
    options
  );
  const io = new Server(httpServer, {
    path: opts.path ?? '/socket.io',
    maxHttpBufferSize: MAX_HTTP_BUFFER_BYTES,
    serveClient: false,
    destroyUpgrade: opts.destroyUpgrade ?? true,
    ...(shared ? { adapter: shared.adapter } : {})
  });
  const socketApi = attachSocketApi(io, tracker, { log: log.child('socket'), now: opts.now });
  const rest = createRestHandler(tracker, {
    log: log.child('rest'),
    ...(shared ? { adapter: () => ({ kind: 'redis', up: shared.up() }) } : {})
  });
  const mergeHistory = shared?.mergeHistory(options.statsIntervalMs);
  const feed = attachDashboardFeed(io, tracker, {
    log: log.child('dashboard'),
    intervalMs: options.dashboardIntervalMs,
    maxClients: MAX_DASHBOARD_CLIENTS
  });
  let closed = false;
  let recording = false;
  const history = setInterval(() => {
    if (closed || recording) return;
    recording = true;
    tracker
      .recordHistory(mergeHistory)
      .then((point) => {
        if (!closed && point) feed.publishPoint(point, { everywhere: shared !== undefined });
      })
      .catch((err: unknown) => {
        if (!closed) log.warn('could not record a statistics point', { err: String(err) });
      })
      .finally(() => {
        recording = false;
      });
  }, options.statsIntervalMs);
  history.unref();
  let syncing = false;
  const sync = shared
    ? setInterval(() => {
        if (closed || syncing) return;
        syncing = true;
        shared
          .syncCounters(tracker.networkShare())
          .then((totals) => {
            network = totals;
          })
          .catch((err: unknown) => {
            network = undefined;
            if (!closed) log.warn('could not share the counters', { err: String(err) });
          })
          .finally(() => {
            syncing = false;
          });
      }, options.dashboardIntervalMs)
    : undefined;
  sync?.unref();
  let sweeping = false;
  const sweep = setInterval(() => {
    if (closed || sweeping) return;
    sweeping = true;
    tracker
      .sweep()
      .then((expired) => {
        for (const peerId of expired) {
          log.debug('peer expired', { peerId });
          socketApi.drop(peerId);
        }
      })
      .catch((err: unknown) => {
        if (!closed) log.warn('could not sweep expired peers', { err: String(err) });
      })
      .finally(() => {
        sweeping = false;
      });
  }, sweepIntervalMs(options.expiryMs));
  sweep.unref();

  // The retention sweep: each process of a network runs its own (deleting twice is harmless);
  // the stores purge in short batches, so it never holds the event loop long. A stale file some
  // peer is in the swarm of right now (announced long ago, never left) stays and is marked seen.
  const clock = opts.now ?? Date.now;
  const inSwarm = async (ids: string[]): Promise<Set<string>> => {
    const counts = await tracker.presence.swarmCounts(ids);
    return new Set(ids.filter((id) => (counts.get(id)?.seeders ?? 0) + (counts.get(id)?.leechers ?? 0) > 0));
  };
  let purging = false;
  const retention = setInterval(() => {
    if (closed || purging) return;
    purging = true;
    const now = clock();
    store
      .purgeUnseen(now - options.indexRetentionMs, { keep: inSwarm, now })
      .then((purged) => {
        if (purged > 0) log.info('purged files nobody announced within the retention', { files: purged, retentionMs: options.indexRetentionMs });
      })
      .catch((err: unknown) => {
        if (!closed) log.warn('could not purge old files from the index', { err: String(err) });
      })
      .finally(() => {
        purging = false;
      });
  }, options.indexSweepIntervalMs);
  retention.unref();

  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closing ??= (async () => {
      closed = true;
      clearInterval(sweep);
      clearInterval(retention);
      clearInterval(sync);
      clearInterval(history);
      feed.close();
      socketApi.close();
      io.engine.close();
      await store.close();
      await tracker.presence.close();
      await shared?.close();
    })();
    return closing;
  };
  const ready = async (): Promise<void> => {
    // Both at once, so that the waits for two unreachable servers do not add up.
    await Promise.all([
      pgStore?.ready().then(() => log.info('file index and history in postgresql', { database: pgStore.where })),
      shared?.ready()
    ]);
    if (!shared) return;
    shared.advertise(opts.publicUrl);
    log.info('sharing the network through redis', { redis: redactUrl(opts.redis!.url), prefix: shared.prefix });
  };
  return { tracker, io, rest, ready, close };
}
