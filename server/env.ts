/**
 * The server's environment variables, validated at the edge (docs/TRACKER.md, "Running"):
 * PORT (8470), HOST (0.0.0.0), SHOAL_DATA_DIR (./data), SHOAL_ICE_SERVERS (JSON array of
 * RTCIceServer, default []), SHOAL_PEER_EXPIRY_MS (90000), SHOAL_HEARTBEAT_MS (30000 or a third of the expiry).
 */
import { DEFAULT_EXPIRY_MS, MIN_EXPIRY_MS } from '../src/lib/tracker/constants.ts';
import { iceServersSchema, type IceServer } from '../src/lib/tracker/schemas.ts';

/** Port of the production server when PORT is not set. */
export const DEFAULT_PORT = 8470;

export interface ServerEnv {
  port: number;
  host: string;
  dataDir: string;
  iceServers: IceServer[];
  expiryMs: number;
  heartbeatMs?: number;
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
  const expiryMs = int(env, 'SHOAL_PEER_EXPIRY_MS', DEFAULT_EXPIRY_MS, MIN_EXPIRY_MS, 24 * 3600_000);
  const heartbeat = env.SHOAL_HEARTBEAT_MS?.trim() ? int(env, 'SHOAL_HEARTBEAT_MS', 0, 1, expiryMs - 1) : undefined;
  return {
    port: int(env, 'PORT', DEFAULT_PORT, 0, 65535),
    host: env.HOST?.trim() || '0.0.0.0',
    dataDir: env.SHOAL_DATA_DIR?.trim() || './data',
    iceServers,
    expiryMs,
    heartbeatMs: heartbeat
  };
}
