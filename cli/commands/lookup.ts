import { parseContentId } from '../../src/lib/core/manifest.ts';
import type { RemotePeer } from '../../src/lib/peer/ports.ts';
import { TrackerClient } from '../../src/lib/peer/tracker-client.ts';
import { Counters } from '../counters.ts';
import { CliError } from '../errors.ts';
import { formatBytes } from '../format.ts';
import { ephemeralToken, nodeSha256, derivePeerId } from '../identity.ts';
import { LanDiscovery } from '../lan-discovery.ts';
import type { Context } from '../context.ts';

/** Connects to the tracker with a throwaway identity; throws NO_NETWORK if it does not answer in time. */
async function connectTracker(ctx: Context): Promise<TrackerClient> {
  const url = ctx.settings.tracker;
  if (!url) throw new CliError('NO_NETWORK', 'This needs a tracker (--tracker <url>), and --no-tracker was given.');
  const client = new TrackerClient({ url: ctx.settings.trackers.length ? ctx.settings.trackers : url, token: ephemeralToken(), kind: 'node' });
  const ok = await Promise.race([
    client.ready().then(() => true),
    new Promise<boolean>((r) => setTimeout(() => r(false), ctx.settings.trackerExplicit ? 10_000 : 3_000).unref())
  ]);
  if (!ok) {
    client.close();
    throw new CliError('NO_NETWORK', `The tracker at ${url} does not answer.`);
  }
  return client;
}

/** `shoal search <query>`: the tracker's index, by name. */
export async function runSearch(ctx: Context): Promise<number> {
  const query = ctx.settings.args.join(' ').trim();
  if (query.length > 200) throw new CliError('BAD_ARGUMENT', 'A query is at most 200 characters.');
  const client = await connectTracker(ctx);
  try {
    return await search(ctx, client, query);
  } finally {
    client.close();
  }
}

export async function search(ctx: Context, client: TrackerClient, query: string): Promise<number> {
  const { total, results } = await client.search(query, ctx.settings.limit);
  for (const r of results) {
    ctx.out.emit('result', { ...r }, `${r.id}  ${r.name}  ${formatBytes(r.size)}  ${r.seeders} seeder${r.seeders === 1 ? '' : 's'}, ${r.leechers} leecher${r.leechers === 1 ? '' : 's'}`);
  }
  ctx.out.emit('total', { total, shown: results.length }, `${total} file${total === 1 ? '' : 's'} found${total > results.length ? ` (${results.length} shown)` : ''}`);
  return 0;
}

export interface Holder extends RemotePeer {
  via: 'tracker' | 'lan';
  address?: string;
}

/** `shoal whohas <id>`: asks the tracker and the LAN. */
export async function runWhoHas(ctx: Context): Promise<number> {
  if (ctx.settings.args.length !== 1) throw new CliError('BAD_ARGUMENT', 'Give exactly one id or share link.');
  let id: string;
  try {
    id = parseContentId(ctx.settings.args[0]);
  } catch (err) {
    throw new CliError('BAD_ARGUMENT', (err as Error).message);
  }
  const s = ctx.settings;
  if (!s.tracker && !s.lan) throw new CliError('NO_NETWORK', 'Neither a tracker nor the LAN to ask (--no-tracker and --no-lan).');
  const counters = new Counters();
  const token = ephemeralToken();
  const lan = s.lan
    ? new LanDiscovery({
        peerId: derivePeerId(token),
        address: s.lanAddress,
        port: s.lanPort,
        interface: s.lanInterface,
        tcpPort: () => 0,
        holdings: () => [],
        fetchManifest: async () => null,
        sha256: nodeSha256,
        counters,
        log: ctx.log.child('lan')
      })
    : null;
  let client: TrackerClient | null = null;
  try {
    await lan?.start();
    const holders: Holder[] = [];
    const errors: string[] = [];
    const trackerPart = (async () => {
      if (!s.tracker) return;
      try {
        client = await connectTracker(ctx);
        for (const p of await client.whoHas(id)) holders.push({ ...p, via: 'tracker' });
      } catch (err) {
        const e = err as { code?: string; message: string };
        errors.push(e.code === 'NOT_FOUND' ? 'the tracker does not know this id' : `tracker: ${e.message}`);
      }
    })();
    const lanPart = (async () => {
      if (!lan) return;
      for (const p of await lan.whoHas(id)) {
        const addr = lan.addressOf(p.peerId);
        holders.push({ ...p, via: 'lan', address: addr ? `${addr.host}:${addr.port}` : undefined });
      }
    })();
    await Promise.all([trackerPart, lanPart]);
    for (const h of holders) {
      ctx.out.emit('peer', { id, ...h }, `${h.peerId}  ${h.kind.padEnd(7)}  ${h.seeder ? 'seeder' : `${h.have} chunks`}  via ${h.via}${h.address ? ` ${h.address}` : ''}`);
    }
    for (const e of errors) ctx.out.say(`(${e})`);
    ctx.out.emit('total', { id, peers: holders.length }, `${holders.length} peer${holders.length === 1 ? '' : 's'} ha${holders.length === 1 ? 's' : 've'} ${id}`);
    return 0;
  } finally {
    lan?.stop();
    (client as TrackerClient | null)?.close();
  }
}
