/**
 * Several tracker processes, one network (docs/TRACKER.md, "More than one process"): with
 * REDIS_URL set, every process of the network uses the same Redis server for
 * - the Socket.IO adapter (@socket.io/redis-adapter): signals and `bye`s reach sockets on any process;
 * - presence (RedisPresence): who is online, swarms, signalling permissions;
 * - the file index and statistics history (RedisIndexStore).
 * Three connections: commands (presence, index, history), and the adapter's publisher and
 * subscriber.
 */
import { createAdapter } from '@socket.io/redis-adapter';
import { Redis } from 'ioredis';
import type { Logger } from '../src/lib/log.ts';
import { MAX_CONTACTS_PER_PEER } from '../src/lib/tracker/constants.ts';
import { RedisPresence } from '../src/lib/server/tracker/redis-presence.ts';
import { RedisIndexStore } from '../src/lib/server/tracker/redis-store.ts';
import type { StatsPoint } from '../src/lib/tracker/api.ts';
import { COUNTER_KEYS, type NetworkCounters } from '../src/lib/tracker/stats.ts';
import { redactUrl } from '../src/lib/server/redact-url.ts';

/** How often a process refreshes its entry in the list of live trackers, and when the others drop it. */
const ADVERTISE_MS = 2_000;
const ADVERTISE_TTL_MS = 10_000;

/** Redis did not answer at startup: the message says where and why (the password hidden). */
export class RedisUnreachableError extends Error {
  readonly code = 'REDIS_UNREACHABLE';
  constructor(message: string) {
    super(message);
    this.name = 'RedisUnreachableError';
  }
}

export interface RedisOptions {
  /** redis://[user:password@]host:port[/db] or rediss://… */
  url: string;
  /** Key prefix shared by the processes of one network (default 'shoal:'). */
  prefix?: string;
  /** How long startup waits for Redis (default 10 s). */
  connectTimeoutMs?: number;
}

export interface RedisShared {
  readonly prefix: string;
  readonly presence: RedisPresence;
  readonly store: RedisIndexStore;
  /** Socket.IO `adapter` option. */
  readonly adapter: ReturnType<typeof createAdapter>;
  /**
   * For Tracker.recordHistory: adds this process's counts to the network's pending sums; the one
   * process that takes the interval's lock turns them into the network's point, the others
   * record nothing. So the history has one point per interval whatever the number of processes.
   */
  mergeHistory(intervalMs: number): (point: StatsPoint) => Promise<StatsPoint | undefined>;
  /**
   * Adds what this process counted since the previous call to the network's counters and
   * resolves to the network's totals (for dashboards).
   */
  syncCounters(mine: NetworkCounters): Promise<NetworkCounters>;
  /**
   * Advertises this process's public URL to the network (refreshed every ADVERTISE_MS, forgotten
   * by the others ADVERTISE_TTL_MS after its last refresh, withdrawn at close) and keeps the list
   * of the live ones, for hello. Without a URL it only keeps the list.
   */
  advertise(publicUrl: string | undefined): void;
  /** The public URLs of the live processes, as last read (this one included when it advertises). */
  trackerUrls(): string[];
  /** Resolves when the connections are up; rejects with a clear message when Redis cannot be reached in time. */
  ready(): Promise<void>;
  /** Every connection up now. */
  up(): boolean;
  /** Idempotent. */
  close(): Promise<void>;
}

export function openRedisShared(opts: RedisOptions, log: Logger): RedisShared {
  const prefix = opts.prefix ?? 'shoal:';
  const where = redactUrl(opts.url);
  // While Redis is away, requests fail at once (no offline queue: the peer gets an INTERNAL ack
  // and /api/health says 503) instead of piling up; the connection keeps retrying with backoff.
  const options = { connectionName: 'shoal-tracker', retryStrategy: (n: number) => Math.min(2_000, 50 * 2 ** n) };
  const client = new Redis(opts.url, { ...options, enableOfflineQueue: false, maxRetriesPerRequest: 1, enableAutoPipelining: true });
  // The adapter subscribes once at start and publishes without catching failures: subscriptions
  // wait for the connection however long it takes, and a failed publish (a signal while Redis is
  // away) is logged here rather than left to crash the process as an unhandled rejection.
  const sub = new Redis(opts.url, { ...options, maxRetriesPerRequest: null, connectionName: 'shoal-tracker-sub' });
  const pub = new Redis(opts.url, { ...options, enableOfflineQueue: false, maxRetriesPerRequest: 1, connectionName: 'shoal-tracker-pub' });
  const publish = pub.publish.bind(pub) as (channel: string, message: string) => Promise<number>;
  let lostPublishes = 0;
  (pub as unknown as { publish: typeof publish }).publish = (channel, message) =>
    publish(channel, message).catch((err: unknown) => {
      if (lostPublishes++ % 100 === 0) log.warn('a broadcast to the other processes was lost', { err: String(err), lost: lostPublishes });
      return 0;
    });
  let lastError = '';
  for (const [name, c] of [['command', client], ['subscriber', sub], ['publisher', pub]] as const) {
    c.on('error', (err: Error) => {
      if (err.message === lastError) return;
      lastError = err.message;
      log.warn(`redis ${name} connection: ${err.message}`, { redis: where });
    });
    c.on('ready', () => log.info(`redis ${name} connection ready`, { redis: where }));
  }
  const presence = new RedisPresence(client, { prefix, maxContactsPerPeer: MAX_CONTACTS_PER_PEER });
  const store = new RedisIndexStore(client, { prefix });
  const adapter = createAdapter(pub, sub, { key: `${prefix}socket.io` });

  const whenReady = (c: Redis): Promise<void> =>
    c.status === 'ready' ? Promise.resolve() : new Promise((resolve) => c.once('ready', () => resolve()));
  let closing: Promise<void> | undefined;
  const nodeId = `${process.pid}-${Math.random().toString(36).slice(2, 10)}`;
  const pendingKey = `${prefix}history:pending`;
  const countersKey = `${prefix}counters`;
  const NETWORK_KEYS = [...COUNTER_KEYS, 'reports'] as const;
  let synced: NetworkCounters | undefined;
  const lockKey = `${prefix}history:lock`;
  const trackersKey = `${prefix}trackers`;
  let advertised: string | undefined;
  let advertiser: NodeJS.Timeout | undefined;
  let live: string[] = [];
  const refreshTrackers = async (): Promise<void> => {
    const now = Date.now();
    if (advertised) await client.zadd(trackersKey, now, advertised);
    await client.zremrangebyscore(trackersKey, '-inf', now - ADVERTISE_TTL_MS);
    live = await client.zrange(trackersKey, 0, -1);
  };
  return {
    prefix,
    presence,
    store,
    adapter,
    async syncCounters(mine) {
      const add = client.multi();
      for (const k of NETWORK_KEYS) {
        const delta = mine[k] - (synced?.[k] ?? 0);
        if (delta > 0) add.hincrby(countersKey, k, delta);
      }
      add.hgetall(countersKey);
      const replies = (await add.exec()) ?? [];
      const failed = replies.find(([err]) => err);
      if (failed) throw failed[0];
      synced = { ...mine };
      const totals = (replies.at(-1)?.[1] ?? {}) as Record<string, string>;
      const out = { ...mine };
      for (const k of NETWORK_KEYS) out[k] = Number(totals[k] ?? 0);
      return out;
    },
    advertise(publicUrl) {
      advertised = publicUrl;
      const tick = () => void refreshTrackers().catch((err: unknown) => log.debug('could not refresh the tracker list', { err: String(err) }));
      tick();
      advertiser = setInterval(tick, ADVERTISE_MS);
      advertiser.unref();
    },
    trackerUrls: () => live,
    mergeHistory: (intervalMs) => async (point) => {
      const add = client.multi();
      for (const k of COUNTER_KEYS) if (point[k] > 0) add.hincrby(pendingKey, k, point[k]);
      await add.exec();
      // The lock lives a little less than one interval: one point per interval across processes.
      const won = await client.set(lockKey, nodeId, 'PX', Math.max(5, Math.floor(intervalMs * 0.9)), 'NX');
      if (won !== 'OK') return undefined;
      const replies = (await client.multi().hgetall(pendingKey).del(pendingKey).exec()) ?? [];
      const sums = (replies[0]?.[1] ?? {}) as Record<string, string>;
      const merged: StatsPoint = { ...point };
      for (const k of COUNTER_KEYS) merged[k] = Number(sums[k] ?? 0);
      return merged;
    },
    async ready() {
      const ms = opts.connectTimeoutMs ?? 10_000;
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new RedisUnreachableError(`Cannot reach Redis at ${where} (REDIS_URL) within ${ms} ms${lastError ? `: ${lastError}` : ''}.`)),
          ms
        );
      });
      try {
        await Promise.race([Promise.all([whenReady(client), whenReady(sub), whenReady(pub)]), timeout]);
      } finally {
        clearTimeout(timer);
      }
    },
    up: () => client.status === 'ready' && sub.status === 'ready' && pub.status === 'ready',
    close() {
      closing ??= (async () => {
        clearInterval(advertiser);
        if (advertised && client.status === 'ready') await client.zrem(trackersKey, advertised).catch(() => undefined);
        await presence.close();
        await store.close();
        // QUIT would wait for a connection that may never come back.
        const end = async (c: Redis) => (c.status === 'ready' ? void (await c.quit().catch(() => c.disconnect())) : c.disconnect());
        await Promise.all([end(client), end(sub), end(pub)]);
      })();
      return closing;
    }
  };
}
