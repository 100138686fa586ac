/**
 * Presence shared by every tracker process through one Redis server (or primary; not Redis
 * Cluster: the scripts touch keys they compute). Each change is one Lua script, so counts never
 * drift when processes race. Keys, all under the prefix (default `shoal:`):
 *
 *   peers              ZSET  peerId → lastSeen (ms); expiry reads it, any process sweeps it
 *   joined             ZSET  peerId → connectedAt (the order of peer lists)
 *   peer:<peerId>      HASH  kind, session, connectedAt, seeding
 *   pfiles:<peerId>    SET   ids of the swarms the peer is in
 *   swarm:<fileId>     HASH  peerId → chunks held
 *   smeta:<fileId>     HASH  chunks, bytes, seeders
 *   swarms             ZSET  fileId → members (busiest swarms; its size is the active swarm count)
 *   totals             HASH  browser, node, seeders, leechers, bytes
 *   contacts:<peerId>  ZSET  peerId it may signal → when allowed (the oldest go beyond the cap)
 *
 * A process that dies leaves its peers here; they stop being touched and the next sweep of any
 * other process removes them after the expiry, as for any silent peer.
 */
import type { Redis } from 'ioredis';
import type { PeerSummary, SwarmPeer } from '../../tracker/api.ts';
import type { ExpiredPeer, Presence, PresenceCounts, PresencePeer, SwarmCounts, SwarmJoin } from '../../tracker/presence.ts';
import type { PeerKind } from '../../tracker/schemas.ts';

/** Removes `pid` from swarm `fid`; true if it was in it. Shared by the scripts below. */
const LEAVE = `
local function fmt(n) return string.format('%d', n) end
local function leave(P, pid, fid)
  local skey = P .. 'swarm:' .. fid
  local have = redis.call('HGET', skey, pid)
  if not have then return false end
  redis.call('HDEL', skey, pid)
  redis.call('SREM', P .. 'pfiles:' .. pid, fid)
  local mkey = P .. 'smeta:' .. fid
  if tonumber(have) == tonumber(redis.call('HGET', mkey, 'chunks')) then
    redis.call('HINCRBY', mkey, 'seeders', -1)
    redis.call('HINCRBY', P .. 'totals', 'seeders', -1)
    redis.call('HINCRBY', P .. 'peer:' .. pid, 'seeding', -1)
  else
    redis.call('HINCRBY', P .. 'totals', 'leechers', -1)
  end
  if tonumber(redis.call('ZINCRBY', P .. 'swarms', -1, fid)) <= 0 then
    redis.call('ZREM', P .. 'swarms', fid)
    redis.call('HINCRBY', P .. 'totals', 'bytes', fmt(-tonumber(redis.call('HGET', mkey, 'bytes') or '0')))
    redis.call('DEL', mkey, skey)
  end
  return true
end
local function remove(P, pid)
  local pkey = P .. 'peer:' .. pid
  local kind = redis.call('HGET', pkey, 'kind')
  local files = redis.call('SMEMBERS', P .. 'pfiles:' .. pid)
  for _, fid in ipairs(files) do leave(P, pid, fid) end
  redis.call('DEL', pkey, P .. 'pfiles:' .. pid, P .. 'contacts:' .. pid)
  redis.call('ZREM', P .. 'peers', pid)
  redis.call('ZREM', P .. 'joined', pid)
  if kind then redis.call('HINCRBY', P .. 'totals', kind, -1) end
  return files
end
`;

const SCRIPTS = {
  /** ARGV: P, peerId, kind, session, now → swarms the earlier registration left. */
  shoalAddPeer: `${LEAVE}
local P, pid = ARGV[1], ARGV[2]
local left = remove(P, pid)
redis.call('HSET', P .. 'peer:' .. pid, 'kind', ARGV[3], 'session', ARGV[4], 'connectedAt', ARGV[5], 'seeding', 0)
redis.call('ZADD', P .. 'peers', ARGV[5], pid)
redis.call('ZADD', P .. 'joined', ARGV[5], pid)
redis.call('HINCRBY', P .. 'totals', ARGV[3], 1)
return left`,
  /** ARGV: P, peerId, session ('' = any), cutoff ('' = none: else only if lastSeen < cutoff) → {removed, swarms...}. */
  shoalRemovePeer: `${LEAVE}
local P, pid, session, cutoff = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
local current = redis.call('HGET', P .. 'peer:' .. pid, 'session')
local seen = redis.call('ZSCORE', P .. 'peers', pid)
if not current and not seen then return {0} end
if session ~= '' and current ~= session then return {0} end
if cutoff ~= '' and seen and tonumber(seen) >= tonumber(cutoff) then return {0} end
local out = {1}
for _, fid in ipairs(remove(P, pid)) do table.insert(out, fid) end
return out`,
  /** ARGV: P, peerId, session, then (fileId, chunks, have, bytes)... → promotions, or -1 if the session is gone. */
  shoalJoin: `
local P, pid, session = ARGV[1], ARGV[2], ARGV[3]
local pkey = P .. 'peer:' .. pid
if redis.call('HGET', pkey, 'session') ~= session then return -1 end
local promoted = 0
for i = 4, #ARGV, 4 do
  local fid, have, bytes = ARGV[i], tonumber(ARGV[i + 2]), ARGV[i + 3]
  local mkey, skey = P .. 'smeta:' .. fid, P .. 'swarm:' .. fid
  local chunks = tonumber(redis.call('HGET', mkey, 'chunks'))
  if not chunks then
    chunks = tonumber(ARGV[i + 1])
    redis.call('HSET', mkey, 'chunks', ARGV[i + 1], 'bytes', bytes, 'seeders', 0)
    redis.call('HINCRBY', P .. 'totals', 'bytes', bytes)
  end
  if have > chunks then have = chunks end
  local before = redis.call('HGET', skey, pid)
  if before then
    before = tonumber(before)
    if before == chunks then
      redis.call('HINCRBY', mkey, 'seeders', -1)
      redis.call('HINCRBY', P .. 'totals', 'seeders', -1)
      redis.call('HINCRBY', pkey, 'seeding', -1)
    else
      redis.call('HINCRBY', P .. 'totals', 'leechers', -1)
    end
  else
    redis.call('ZINCRBY', P .. 'swarms', 1, fid)
    redis.call('SADD', P .. 'pfiles:' .. pid, fid)
  end
  redis.call('HSET', skey, pid, string.format('%d', have))
  if have == chunks then
    redis.call('HINCRBY', mkey, 'seeders', 1)
    redis.call('HINCRBY', P .. 'totals', 'seeders', 1)
    redis.call('HINCRBY', pkey, 'seeding', 1)
    if before and before ~= chunks then promoted = promoted + 1 end
  else
    redis.call('HINCRBY', P .. 'totals', 'leechers', 1)
  end
end
return promoted`,
  /** ARGV: P, peerId, now → 1 if online (lastSeen raised, never lowered), 0 if not. */
  shoalTouch: `
local key = ARGV[1] .. 'peers'
local seen = redis.call('ZSCORE', key, ARGV[2])
if not seen then return 0 end
if tonumber(ARGV[3]) > tonumber(seen) then redis.call('ZADD', key, ARGV[3], ARGV[2]) end
return 1`,
  /** ARGV: P, peerId, fileIds... → the ones it was in. */
  shoalLeave: `${LEAVE}
local out = {}
for i = 3, #ARGV do
  if leave(ARGV[1], ARGV[2], ARGV[i]) then table.insert(out, ARGV[i]) end
end
return out`,
  /** ARGV: P, from, max, now, to... */
  shoalAllow: `
local P, from, max = ARGV[1], ARGV[2], tonumber(ARGV[3])
if redis.call('EXISTS', P .. 'peer:' .. from) == 0 then return 0 end
local key = P .. 'contacts:' .. from
for i = 5, #ARGV do redis.call('ZADD', key, ARGV[4], ARGV[i]) end
local over = redis.call('ZCARD', key) - max
if over > 0 then redis.call('ZPOPMIN', key, over) end
return 1`,
  /** ARGV: P, from, to → 1 if allowed. */
  shoalMayContact: `
local P, from, to = ARGV[1], ARGV[2], ARGV[3]
if redis.call('ZSCORE', P .. 'contacts:' .. from, to) then return 1 end
if redis.call('SINTERCARD', 2, P .. 'pfiles:' .. from, P .. 'pfiles:' .. to, 'LIMIT', 1) > 0 then return 1 end
return 0`,
  /** ARGV: P, fileId, except → {chunks, peerId, have, kind, ...} or {}. */
  shoalMembers: `
local P, fid, except = ARGV[1], ARGV[2], ARGV[3]
local chunks = redis.call('HGET', P .. 'smeta:' .. fid, 'chunks')
if not chunks then return {} end
local all = redis.call('HGETALL', P .. 'swarm:' .. fid)
local out = {chunks}
for i = 1, #all, 2 do
  if all[i] ~= except then
    table.insert(out, all[i])
    table.insert(out, all[i + 1])
    table.insert(out, redis.call('HGET', P .. 'peer:' .. all[i], 'kind') or 'browser')
  end
end
return out`
} as const;

type ScriptName = keyof typeof SCRIPTS;
type Scripted = { [K in ScriptName]: (...args: (string | number)[]) => Promise<unknown> };

/** Expired peers looked at per sweep round (the next sweep takes the rest). */
const EXPIRE_BATCH = 1_000;

export interface RedisPresenceOptions {
  /** Every key starts with it; default 'shoal:'. Processes of one network share it. */
  prefix?: string;
  maxContactsPerPeer: number;
}

export class RedisPresence implements Presence {
  readonly kind = 'redis';
  readonly #redis: Redis;
  readonly #run: Scripted;
  readonly #p: string;
  readonly #maxContacts: number;
  #closed = false;

  constructor(redis: Redis, opts: RedisPresenceOptions) {
    this.#redis = redis;
    this.#p = opts.prefix ?? 'shoal:';
    this.#maxContacts = opts.maxContactsPerPeer;
    for (const [name, lua] of Object.entries(SCRIPTS)) {
      if (!(name in redis)) redis.defineCommand(name, { numberOfKeys: 0, lua });
    }
    this.#run = redis as unknown as Scripted;
  }

  #k(key: string): string {
    return this.#p + key;
  }

  #open(): void {
    if (this.#closed) throw new Error('The presence store is closed.');
  }

  async addPeer(peerId: string, kind: PeerKind, session: string, now: number): Promise<string[]> {
    this.#open();
    return (await this.#run.shoalAddPeer(this.#p, peerId, kind, session, now)) as string[];
  }

  async removePeer(peerId: string, session: string): Promise<string[]> {
    this.#open();
    const [, ...left] = (await this.#run.shoalRemovePeer(this.#p, peerId, session, '')) as [number, ...string[]];
    return left;
  }

  async expire(now: number, expiryMs: number): Promise<ExpiredPeer[]> {
    this.#open();
    const cutoff = now - expiryMs;
    const ids = await this.#redis.zrangebyscore(this.#k('peers'), '-inf', `(${cutoff}`, 'LIMIT', 0, EXPIRE_BATCH);
    const out: ExpiredPeer[] = [];
    for (const peerId of ids) {
      const [removed, ...left] = (await this.#run.shoalRemovePeer(this.#p, peerId, '', cutoff)) as [number, ...string[]];
      if (removed === 1) out.push({ peerId, left });
    }
    return out;
  }

  async getPeer(peerId: string): Promise<PresencePeer | undefined> {
    this.#open();
    const [[, hash], [, seen]] = (await this.#redis.multi().hgetall(this.#k(`peer:${peerId}`)).zscore(this.#k('peers'), peerId).exec()) as [
      [unknown, Record<string, string>],
      [unknown, string | null]
    ];
    if (!hash.session) return undefined;
    return { peerId, kind: hash.kind as PeerKind, session: hash.session, connectedAt: Number(hash.connectedAt), lastSeen: Number(seen ?? hash.connectedAt) };
  }

  async touch(peerId: string, now: number): Promise<boolean> {
    this.#open();
    return Number(await this.#run.shoalTouch(this.#p, peerId, now)) === 1;
  }

  async memberships(peerId: string, ids: readonly string[]): Promise<{ count: number; member: Set<string> }> {
    this.#open();
    const key = this.#k(`pfiles:${peerId}`);
    const [count, flags] = await Promise.all([this.#redis.scard(key), ids.length > 0 ? this.#redis.smismember(key, ...ids) : Promise.resolve([])]);
    return { count, member: new Set(ids.filter((_, i) => flags[i] === 1)) };
  }

  async join(peerId: string, session: string, joins: readonly SwarmJoin[]): Promise<number | undefined> {
    this.#open();
    const args: (string | number)[] = [this.#p, peerId, session];
    for (const j of joins) args.push(j.id, j.chunks, j.have, j.size);
    const promoted = Number(await this.#run.shoalJoin(...args));
    return promoted < 0 ? undefined : promoted;
  }

  async leave(peerId: string, ids: readonly string[]): Promise<string[]> {
    this.#open();
    if (ids.length === 0) return [];
    return (await this.#run.shoalLeave(this.#p, peerId, ...ids)) as string[];
  }

  async swarmCounts(ids: readonly string[]): Promise<Map<string, SwarmCounts>> {
    this.#open();
    const out = new Map<string, SwarmCounts>();
    if (ids.length === 0) return out;
    const pipe = this.#redis.pipeline();
    for (const id of ids) pipe.hget(this.#k(`smeta:${id}`), 'seeders').zscore(this.#k('swarms'), id);
    const replies = (await pipe.exec()) ?? [];
    ids.forEach((id, i) => {
      const [seedErr, seeders] = replies[2 * i] ?? [];
      const [sizeErr, size] = replies[2 * i + 1] ?? [];
      if (seedErr || sizeErr) throw seedErr ?? sizeErr;
      const s = Number(seeders ?? 0);
      out.set(id, { seeders: s, leechers: Math.max(0, Number(size ?? 0) - s) });
    });
    return out;
  }

  async members(fileId: string, except = ''): Promise<SwarmPeer[]> {
    this.#open();
    const flat = (await this.#run.shoalMembers(this.#p, fileId, except)) as string[];
    if (flat.length === 0) return [];
    const chunks = Number(flat[0]);
    const out: SwarmPeer[] = [];
    for (let i = 1; i + 2 < flat.length; i += 3) {
      const have = Number(flat[i + 1]);
      out.push({ peerId: flat[i], kind: flat[i + 2] as PeerKind, have, seeder: have === chunks });
    }
    return out;
  }

  async allowContacts(from: string, to: readonly string[]): Promise<void> {
    this.#open();
    if (to.length === 0) return;
    await this.#run.shoalAllow(this.#p, from, this.#maxContacts, Date.now(), ...to);
  }

  async mayContact(from: string, to: string): Promise<boolean> {
    this.#open();
    return Number(await this.#run.shoalMayContact(this.#p, from, to)) === 1;
  }

  async busiestSwarms(limit: number): Promise<string[]> {
    this.#open();
    if (limit <= 0) return [];
    return this.#redis.zrevrange(this.#k('swarms'), 0, limit - 1);
  }

  async peerList(limit: number, offset: number): Promise<{ total: number; peers: PeerSummary[] }> {
    this.#open();
    const [total, ids] = await Promise.all([
      this.#redis.zcard(this.#k('joined')),
      limit > 0 ? this.#redis.zrange(this.#k('joined'), offset, offset + limit - 1) : Promise.resolve([] as string[])
    ]);
    if (ids.length === 0) return { total, peers: [] };
    const pipe = this.#redis.pipeline();
    for (const id of ids) pipe.hgetall(this.#k(`peer:${id}`)).scard(this.#k(`pfiles:${id}`)).zscore(this.#k('peers'), id);
    const replies = (await pipe.exec()) ?? [];
    const peers: PeerSummary[] = [];
    ids.forEach((peerId, i) => {
      const hash = replies[3 * i]?.[1] as Record<string, string> | undefined;
      if (!hash?.session) return; // removed between the two reads
      const files = Number(replies[3 * i + 1]?.[1] ?? 0);
      const seeding = Math.max(0, Math.min(files, Number(hash.seeding ?? 0)));
      const connectedAt = Number(hash.connectedAt);
      const lastSeen = Number((replies[3 * i + 2]?.[1] as string | null) ?? connectedAt);
      peers.push({ peerId, kind: hash.kind as PeerKind, files, seeding, leeching: files - seeding, connectedAt, lastSeen });
    });
    return { total, peers };
  }

  async counts(): Promise<PresenceCounts> {
    this.#open();
    const [totals, peers, swarms] = await Promise.all([
      this.#redis.hgetall(this.#k('totals')),
      this.#redis.zcard(this.#k('peers')),
      this.#redis.zcard(this.#k('swarms'))
    ]);
    const n = (key: string) => Math.max(0, Number(totals[key] ?? 0));
    return { peers, browser: n('browser'), node: n('node'), swarms, seeders: n('seeders'), leechers: n('leechers'), announcedBytes: n('bytes') };
  }

  /** Idempotent. The client belongs to the caller (server/redis-shared.ts) and stays open. */
  async close(): Promise<void> {
    this.#closed = true;
  }
}
