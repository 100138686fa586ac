import { createInterface } from 'node:readline';
import { resolve } from 'node:path';
import { parseContentId } from '../../src/lib/core/manifest.ts';
import { startPeer, type Context } from '../context.ts';
import { CliError } from '../errors.ts';
import { formatBytes, formatPercent } from '../format.ts';
import type { NodePeer } from '../node-peer.ts';
import { walk } from '../walk.ts';
import { download, parseIds } from './get.ts';
import { shareOne } from './seed.ts';

const HELP = [
  'get <id-or-link>...   download in the background (to the -o folder)',
  'myfiles               what this peer shares and downloads',
  'share <path>          share a file or folder',
  'whohas <id-or-link>   peers that have a file',
  'search <query>        search the tracker',
  'rm <id-or-link>...    stop sharing (files on disk stay; partial downloads are deleted)',
  'peers                 connections, LAN peers, tracker, counters',
  'exit                  stop the peer (also Ctrl-D)'
].join('\n');

/** Runs one shell line; returns false when the shell should end. */
export async function runShellLine(ctx: Context, peer: NodePeer, line: string): Promise<boolean> {
  const { out } = ctx;
  const [cmd, ...rest] = line.trim().split(/\s+/).filter(Boolean);
  switch (cmd) {
    case undefined:
      return true;
    case 'exit':
    case 'quit':
      return false;
    case 'help':
    case '?':
      out.say(HELP);
      return true;
    case 'get': {
      const ids = parseIds(rest);
      // In the background: the prompt stays usable; done or failed is printed when it happens.
      void download(ctx, peer, ids, { bar: false }).catch((err) => out.fail(err));
      out.say(`downloading ${ids.length} file${ids.length === 1 ? '' : 's'} in the background ('myfiles' shows progress)`);
      return true;
    }
    case 'myfiles':
    case 'ls': {
      const files = peer.engine.files();
      for (const f of files) {
        const r = peer.store.record(f.id);
        const d = peer.engine.getDownload(f.id);
        const state = f.have.complete ? (f.role === 'seed' ? 'shared' : 'downloaded') : `${d?.state ?? 'partial'} ${formatPercent(f.have.count, f.have.size)}`;
        out.emit(
          'file',
          { id: f.id, name: f.manifest.name, size: f.manifest.size, have: f.have.count, chunks: f.have.size, state, path: r?.complete ? r.path : (r?.partial ?? null) },
          `${f.id}  ${f.manifest.name}  ${formatBytes(f.manifest.size)}  ${state}`
        );
      }
      if (files.length === 0) out.say('no files yet: share <path>, or get <id>');
      return true;
    }
    case 'rm': {
      for (const id of parseIds(rest)) {
        const f = peer.engine.file(id);
        if (!f) {
          out.error('NOT_FOUND', `${id} is not shared or downloaded here (myfiles lists what is).`, { id });
          continue;
        }
        try {
          await peer.unshare(id);
        } catch (err) {
          out.fail(err, { id });
          continue;
        }
        out.emit('removed', { id, name: f.manifest.name }, `removed ${id}  ${f.manifest.name}`);
      }
      return true;
    }
    case 'share': {
      if (rest.length === 0) throw new CliError('BAD_ARGUMENT', 'share <path>');
      const { files, skipped } = await walk(resolve(ctx.cwd, rest.join(' ')));
      for (const s of skipped) out.say(`skipped ${s.path}: ${s.reason}`);
      for (const f of files) {
        // One file that cannot be shared is reported with its code and path; the others go on.
        await shareOne(ctx, peer, f).catch((err) => out.fail(err, { path: f }));
      }
      return true;
    }
    case 'whohas': {
      if (rest.length !== 1) throw new CliError('BAD_ARGUMENT', 'whohas <id-or-link>');
      let id: string;
      try {
        id = parseContentId(rest[0]);
      } catch (err) {
        throw new CliError('BAD_ARGUMENT', (err as Error).message);
      }
      const peers = await peer.directory.whoHas(id);
      for (const p of peers) {
        const addr = peer.lan?.addressOf(p.peerId);
        out.emit('peer', { id, ...p, address: addr ? `${addr.host}:${addr.port}` : null }, `${p.peerId}  ${p.kind.padEnd(7)}  ${p.seeder ? 'seeder' : `${p.have} chunks`}${addr ? `  lan ${addr.host}:${addr.port}` : ''}`);
      }
      out.emit('total', { id, peers: peers.length }, `${peers.length} peer${peers.length === 1 ? '' : 's'}`);
      return true;
    }
    case 'search': {
      if (!peer.tracker) throw new CliError('NO_NETWORK', 'search needs a tracker.');
      const { total, results } = await peer.tracker.search(rest.join(' '), ctx.settings.limit);
      for (const r of results) out.emit('result', { ...r }, `${r.id}  ${r.name}  ${formatBytes(r.size)}  ${r.seeders} seeder${r.seeders === 1 ? '' : 's'}`);
      out.emit('total', { total, shown: results.length }, `${total} found`);
      return true;
    }
    case 'peers': {
      const conns = peer.connector.connections();
      for (const c of conns) {
        out.emit('connection', { ...c }, `${c.peerId}  ${c.transport.padEnd(6)}  ${c.direction === 'in' ? 'incoming' : 'outgoing'}  ${c.label}  sent ${formatBytes(c.bytesSent)}`);
      }
      const lanPeers = peer.lan?.peers() ?? [];
      for (const p of lanPeers) out.emit('lanPeer', { peerId: p.peerId, host: p.host, tcpPort: p.tcpPort, files: p.files.size }, `lan ${p.peerId}  ${p.host}:${p.tcpPort}  ${p.files.size} files announced`);
      const tracker = peer.tracker ? (peer.tracker.connected ? 'connected' : 'not connected') : 'none';
      const counters = peer.counters.snapshot();
      out.emit(
        'peers',
        { peerId: peer.peerId, connections: conns.length, lanPeers: lanPeers.length, tracker, counters },
        `me ${peer.peerId} · ${conns.length} connection${conns.length === 1 ? '' : 's'} · ${lanPeers.length} LAN peer${lanPeers.length === 1 ? '' : 's'} · tracker ${tracker}` +
          (Object.keys(counters).length ? `\n${Object.entries(counters).map(([k, v]) => `  ${k}: ${v}`).join('\n')}` : '')
      );
      return true;
    }
    default:
      throw new CliError('BAD_ARGUMENT', `Unknown command ${JSON.stringify(cmd)}; try help.`);
  }
}

/** `shoal shell`: the peer runs while commands are read from the terminal (or a pipe). */
export async function runShell(ctx: Context): Promise<number> {
  const peer = await startPeer(ctx);
  const rl = createInterface({ input: process.stdin, output: process.stdout, prompt: 'shoal> ', terminal: Boolean(process.stdin.isTTY) });
  try {
    ctx.out.say(`peer ${peer.peerId} running; type help`);
    const prompt = () => {
      if (!ctx.out.json) rl.prompt();
    };
    prompt();
    await new Promise<void>((resolveShell) => {
      let busy = Promise.resolve();
      rl.on('close', () => void busy.then(() => resolveShell()));
      rl.on('SIGINT', () => rl.close());
      ctx.signal.addEventListener('abort', () => rl.close(), { once: true });
      rl.on('line', (line) => {
        // Lines run one after the other, even when piped in faster than they finish.
        busy = busy.then(async () => {
          try {
            if (!(await runShellLine(ctx, peer, line))) return rl.close();
          } catch (err) {
            ctx.out.fail(err);
          }
          prompt();
        });
      });
    });
    return 0;
  } finally {
    rl.close();
    await peer.stop();
  }
}
