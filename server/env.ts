/**
 * The server's environment variables, validated at the edge (docs/TRACKER.md, "Running"):
 * PORT (8470), HOST (0.0.0.0), SHOAL_DATA_DIR (./data), SHOAL_ICE_SERVERS (JSON array of
 * RTCIceServer, default []), SHOAL_PEER_EXPIRY_MS (90000), SHOAL_HEARTBEAT_MS (30000 or a third of the expiry),
 * SHOAL_TURN_URLS + SHOAL_TURN_SECRET (+ SHOAL_TURN_TTL_S, 86400): short-lived TURN credentials per peer,
 * SHOAL_ICE_TRANSPORT_POLICY ('all' or 'relay'), REDIS_URL (several processes, one network: adapter,
 * presence and index on that Redis) with SHOAL_REDIS_PREFIX (key prefix, 'shoal:') and
 * SHOAL_REDIS_CONNECT_TIMEOUT_MS (how long startup waits for it, 10000), DATABASE_URL (postgres://…: the
 * file index and statistics history in PostgreSQL instead of SQLite or Redis; with REDIS_URL, the
 * set-up for several processes) with SHOAL_DATABASE_CONNECT_TIMEOUT_MS (10000),
 * SHOAL_INDEX_RETENTION_DAYS (30: files nobody announced for that long leave the index).
 */
import { DEFAULT_EXPIRY_MS, DEFAULT_TURN_TTL_SECONDS, MIN_EXPIRY_MS } from '../src/lib/tracker/constants.ts';
import { iceServersSchema, iceTransportPolicySchema, type IceServer, type IceTransportPolicy } from '../src/lib/tracker/schemas.ts';
import { DEFAULT_INDEX_RETENTION_DAYS } from './constants.ts';
import type { TurnCredentialOptions } from './turn-credentials.ts';

/** Port of the production server when PORT is not set. */
export const DEFAULT_PORT = 8470;

export interface ServerEnv {
  port: number;
  host: string;
  dataDir: string;
  iceServers: IceServer[];
  /** Set when SHOAL_TURN_URLS and SHOAL_TURN_SECRET are. */
  turn?: TurnCredentialOptions;
  iceTransportPolicy: IceTransportPolicy;
  expiryMs: number;
  heartbeatMs?: number;
  /** Set when REDIS_URL is. */
  redis?: { url: string; prefix: string; connectTimeoutMs: number };
  /** SHOAL_INDEX_RETENTION_DAYS: a file no peer announced for this many days is purged from the index. */
  indexRetentionDays: number;
  /** Set when DATABASE_URL is: the index and history in PostgreSQL. */
  database?: { url: string; connectTimeoutMs: number };
  /** SHOAL_PUBLIC_URL: where clients reach this process (an origin); advertised to the other processes. */
  publicUrl?: string;
}

export class EnvError extends Error {
  readonly code = 'BAD_ENV';
  constructor(message: string) {
    super(message);
    this.name = 'EnvError';
  }
}

function int(env: Record<string, string | undefined>, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  if (!/^\d+$/.test(raw.trim())) throw new EnvError(`${name} must be a whole number, got ${JSON.stringify(raw)}.`);
  const n = Number(raw.trim());
  if (n < min || n > max) throw new EnvError(`${name} must be between ${min} and ${max}, got ${n}.`);
  return n;
}

export function readServerEnv(env: Record<string, string | undefined>): ServerEnv {
  let iceServers: IceServer[] = [];
  if (env.SHOAL_ICE_SERVERS?.trim()) {
    let value: unknown;
    try {
      value = JSON.parse(env.SHOAL_ICE_SERVERS);
    } catch {
      throw new EnvError('SHOAL_ICE_SERVERS must be JSON, e.g. [{"urls":"stun:stun.example.org:3478"}].');
    }
    const parsed = iceServersSchema.safeParse(value);
    if (!parsed.success) throw new EnvError(`SHOAL_ICE_SERVERS: ${parsed.error.issues[0]?.message ?? 'invalid'}.`);
    iceServers = parsed.data;
  }
  const turn = readTurn(env);
  const policyRaw = env.SHOAL_ICE_TRANSPORT_POLICY?.trim() || 'all';
  const policy = iceTransportPolicySchema.safeParse(policyRaw);
  if (!policy.success) throw new EnvError(`SHOAL_ICE_TRANSPORT_POLICY must be 'all' or 'relay', got ${JSON.stringify(policyRaw)}.`);
  if (policy.data === 'relay' && !turn && !iceServers.some((s) => [s.urls].flat().some((u) => /^turns?:/.test(u)))) {
    throw new EnvError('SHOAL_ICE_TRANSPORT_POLICY=relay needs a TURN server (SHOAL_TURN_URLS or a turn: entry in SHOAL_ICE_SERVERS).');
  }
  const expiryMs = int(env, 'SHOAL_PEER_EXPIRY_MS', DEFAULT_EXPIRY_MS, MIN_EXPIRY_MS, 24 * 3600_000);
  const heartbeat = env.SHOAL_HEARTBEAT_MS?.trim() ? int(env, 'SHOAL_HEARTBEAT_MS', 0, 1, expiryMs - 1) : undefined;
  return {
    port: int(env, 'PORT', DEFAULT_PORT, 0, 65535),
    host: env.HOST?.trim() || '0.0.0.0',
    dataDir: env.SHOAL_DATA_DIR?.trim() || './data',
    iceServers,
    ...(turn ? { turn } : {}),
    iceTransportPolicy: policy.data,
    expiryMs,
    heartbeatMs: heartbeat,
    indexRetentionDays: int(env, 'SHOAL_INDEX_RETENTION_DAYS', DEFAULT_INDEX_RETENTION_DAYS, 1, 36_500),
    ...readRedis(env),
    ...readDatabase(env),
    ...readPublicUrl(env)
  };
}

/** SHOAL_PUBLIC_URL: an http(s) origin; only meaningful with REDIS_URL. */
function readPublicUrl(env: Record<string, string | undefined>): Pick<ServerEnv, 'publicUrl'> {
  const text = env.SHOAL_PUBLIC_URL?.trim();
  if (!text) return {};
  if (!env.REDIS_URL?.trim()) throw new EnvError('SHOAL_PUBLIC_URL is set but REDIS_URL is not: it tells the other processes of a network where this one is.');
  return { publicUrl: parseUrl('SHOAL_PUBLIC_URL', text, ['http', 'https'], 'https://tracker-2.example.org').origin };
}

/** A URL variable with one of `schemes`, or an EnvError naming the variable and an example. */
function parseUrl(name: string, text: string, schemes: string[], example: string): URL {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new EnvError(`${name} must be a URL such as ${example}.`);
  }
  if (!schemes.some((s) => url.protocol === `${s}:`)) throw new EnvError(`${name} must start with ${schemes.map((s) => `${s}://`).join(' or ')}.`);
  return url;
}

/** REDIS_URL (redis:// or rediss://) and SHOAL_REDIS_PREFIX. */
function readRedis(env: Record<string, string | undefined>): Pick<ServerEnv, 'redis'> {
  const url = env.REDIS_URL?.trim() ?? '';
  const prefix = env.SHOAL_REDIS_PREFIX?.trim() || 'shoal:';
  if (!/^[A-Za-z0-9:._-]{1,64}$/.test(prefix)) throw new EnvError('SHOAL_REDIS_PREFIX: 1 to 64 letters, digits or : . _ -');
  if (url === '') {
    if (env.SHOAL_REDIS_PREFIX?.trim()) throw new EnvError('SHOAL_REDIS_PREFIX is set but REDIS_URL is not.');
    return {};
  }
  parseUrl('REDIS_URL', url, ['redis', 'rediss'], 'redis://127.0.0.1:6379');
  return { redis: { url, prefix, connectTimeoutMs: int(env, 'SHOAL_REDIS_CONNECT_TIMEOUT_MS', 10_000, 100, 600_000) } };
}

/** DATABASE_URL (postgres:// or postgresql://) and SHOAL_DATABASE_CONNECT_TIMEOUT_MS. */
function readDatabase(env: Record<string, string | undefined>): Pick<ServerEnv, 'database'> {
  const url = env.DATABASE_URL?.trim() ?? '';
  if (url === '') {
    if (env.SHOAL_DATABASE_CONNECT_TIMEOUT_MS?.trim()) throw new EnvError('SHOAL_DATABASE_CONNECT_TIMEOUT_MS is set but DATABASE_URL is not.');
    return {};
  }
  const parsed = parseUrl('DATABASE_URL', url, ['postgres', 'postgresql'], 'postgres://shoal:password@127.0.0.1:5432/shoal');
  if (parsed.pathname.replace(/^\//, '') === '') throw new EnvError('DATABASE_URL must name a database, e.g. postgres://shoal:password@127.0.0.1:5432/shoal.');
  return { database: { url, connectTimeoutMs: int(env, 'SHOAL_DATABASE_CONNECT_TIMEOUT_MS', 10_000, 100, 600_000) } };
}

/** SHOAL_TURN_URLS (comma-separated turn:/turns: URLs) and SHOAL_TURN_SECRET go together. */
function readTurn(env: Record<string, string | undefined>): TurnCredentialOptions | undefined {
  const urls = (env.SHOAL_TURN_URLS ?? '')
    .split(',')
    .map((u) => u.trim())
    .filter((u) => u !== '');
  const secret = env.SHOAL_TURN_SECRET ?? '';
  if (urls.length === 0 && secret === '') return undefined;
  if (urls.length === 0) throw new EnvError('SHOAL_TURN_SECRET is set but SHOAL_TURN_URLS is not.');
  if (secret === '') throw new EnvError('SHOAL_TURN_URLS is set but SHOAL_TURN_SECRET is not.');
  const bad = urls.find((u) => !/^turns?:[^\s]+$/.test(u) || u.length > 512);
  if (bad !== undefined) throw new EnvError(`SHOAL_TURN_URLS: ${JSON.stringify(bad)} is not a turn: or turns: URL.`);
  if (urls.length > 8) throw new EnvError('SHOAL_TURN_URLS: at most 8 URLs.');
  const ttlSeconds = int(env, 'SHOAL_TURN_TTL_S', DEFAULT_TURN_TTL_SECONDS, 60, 7 * 86_400);
  return { urls, secret, ttlSeconds };
}
