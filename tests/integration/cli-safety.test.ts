/**
 * Safety of the Node peer: names from the network never leave the download folder, a peer serves
 * only what it shares, malformed UDP datagrams and TCP frames are dropped and counted without
 * crashing it, and disk full / read-only errors stop a download with a clear message.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { decodeMessage, encodeMessage, FrameDecoder, frameMessage, RejectReason, type WireMessage } from '../../src/lib/core/wire.ts';
import { silentLogger } from '../../src/lib/log.ts';
import { PeerEngine } from '../../src/lib/peer/engine.ts';
import type { StoredFile } from '../../src/lib/peer/ports.ts';
import { MemoryChunkStore } from '../../src/lib/peer/memory-store.ts';
import { shareBytes } from '../../src/lib/peer/share-bytes.ts';
import { CompositeConnector } from '../../cli/composite-connector.ts';
import { Counters } from '../../cli/counters.ts';
import { nodeSha256 } from '../../cli/identity.ts';
import { encodeDatagram } from '../../cli/lan-datagram.ts';
import { LanDiscovery } from '../../cli/lan-discovery.ts';
import { safeFileName } from '../../cli/safe-name.ts';
import { TcpTransport } from '../../cli/tcp-transport.ts';
import { freeUdpPort, killAllShoal, lanArgs, runShoal, spawnShoal, type ShoalProcess } from '../helpers/shoal.ts';

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

let dir: string;
let lanPort: number;
let lan: string[];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'shoal-cli-safety-'));
  lanPort = await freeUdpPort();
  lan = lanArgs(lanPort);
});

afterAll(async () => {
  await killAllShoal();
  await rm(dir, { recursive: true, force: true });
});

/** Talks the wire protocol over raw TCP, as a test client. */
async function rawSession(port: number) {
  const socket = createConnection({ host: '127.0.0.1', port });
  await new Promise<void>((r, j) => socket.once('connect', () => r()).once('error', j));
  const decoder = new FrameDecoder();
  const received: WireMessage[] = [];
  let closed = false;
  socket.on('data', (b: Buffer) => {
    for (const m of decoder.push(b)) received.push(decodeMessage(m));
  });
  socket.on('close', () => (closed = true));
  socket.on('error', () => undefined);
  return {
    socket,
    received,
    get closed() {
      return closed;
    },
    send: (m: WireMessage) => socket.write(frameMessage(encodeMessage(m))),
    raw: (b: Uint8Array) => socket.write(b),
    async until(check: () => boolean, ms = 5000) {
      await vi.waitFor(() => expect(check()).toBe(true), ms);
    }
  };
}

describe('a seeding peer under hostile input', () => {
  let seeder: ShoalProcess;
  let id: string;
  let tcpPort: number;
  const bytes = randomBytes(3 * 1024 * 1024 + 5);

  beforeAll(async () => {
    await writeFile(join(dir, 'shared.bin'), bytes);
    await writeFile(join(dir, 'secret.txt'), 'not shared');
    seeder = spawnShoal(['seed', join(dir, 'shared.bin'), '--data-dir', join(dir, 'seeder'), '--no-tracker', ...lan]);
    tcpPort = (await seeder.waitFor((e) => e.event === 'ready')).tcpPort;
    id = (await seeder.waitFor((e) => e.event === 'shared')).id;
    await seeder.waitFor((e) => e.event === 'seeding');
  });

  it('drops and counts malformed datagrams, and still answers who-has', async () => {
    const sock = createSocket('udp4');
    const valid = encodeDatagram({ type: 'whohas', peerId: 'ab'.repeat(16), tcpPort: 1, nonce: 7, id });
    const announce = Buffer.from(encodeDatagram({ type: 'announce', peerId: 'cd'.repeat(16), tcpPort: 1, files: [{ id, have: 1, chunks: 4 }] }));
    const garbage: Uint8Array[] = [
      Buffer.alloc(0),
      randomBytes(100),
      Buffer.from('SHLD'),
      Buffer.concat([Buffer.from(valid.subarray(0, 4)), Buffer.from([9]), Buffer.from(valid.subarray(5))]), // version 9
      Buffer.from(valid.subarray(0, valid.length - 1)), // truncated whohas
      Buffer.concat([Buffer.from(valid), Buffer.from([0])]), // one byte too many
      Buffer.alloc(2000, 0x53), // too large
      (() => {
        const b = Buffer.from(announce);
        b.writeUInt16BE(5, 24); // count says 5, one entry follows
        return b;
      })(),
      (() => {
        const b = Buffer.from(announce);
        b.writeUInt32BE(9, 24 + 2 + 32); // have 9 of 4 chunks
        return b;
      })(),
      (() => {
        const b = Buffer.from(valid);
        b[5] = 77; // unknown type
        return b;
      })()
    ];
    for (const g of garbage) await new Promise((r) => sock.send(g, lanPort, '127.0.0.1', r));
    sock.close();
    await seeder.waitFor((e) => e.event === 'counter' && e.name === 'malformedDatagrams' && e.value === garbage.length, 10_000);
    const who = await runShoal(['whohas', id, '--no-tracker', ...lan.slice(0, 4)]);
    expect(who.events.filter((e) => e.event === 'peer').length).toBe(1);
    expect(seeder.child.exitCode).toBeNull();
  });

  it('closes TCP connections with garbage or bad frames, and counts them', async () => {
    const http = await rawSession(tcpPort);
    http.raw(Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n'));
    await http.until(() => http.closed);

    const huge = await rawSession(tcpPort);
    huge.raw(Buffer.from([0x00, 0xff, 0xff, 0xff]));
    await huge.until(() => huge.closed);

    const zero = await rawSession(tcpPort);
    zero.raw(Buffer.from([0, 0, 0, 0]));
    await zero.until(() => zero.closed);

    const badType = await rawSession(tcpPort);
    badType.send({ type: 'hello', version: 1, peerId: 'ef'.repeat(16), maxMessage: 66560 });
    badType.raw(frameMessage(Uint8Array.from([99, 1, 2, 3])));
    await badType.until(() => badType.closed);

    await seeder.waitFor((e) => e.event === 'counter' && e.name === 'malformedFrames' && e.value >= 3, 10_000);
    await seeder.waitFor((e) => e.event === 'counter' && e.name === 'malformedWireMessages' && e.value >= 1, 10_000);
    expect(seeder.child.exitCode).toBeNull();
  });

  it('serves only what it shares: unknown ids, chunks out of range and manifests of others are refused', async () => {
    const s = await rawSession(tcpPort);
    s.send({ type: 'hello', version: 1, peerId: '12'.repeat(16), maxMessage: 66560 });
    const other = sha(Buffer.from(join(dir, 'secret.txt'))); // any id it does not share
    s.send({ type: 'request', id: other, chunk: 0 });
    s.send({ type: 'request', id, chunk: 999 });
    s.send({ type: 'request', id, chunk: 0xffffffff });
    await s.until(() => s.received.filter((m) => m.type === 'reject').length >= 3);
    const rejects = s.received.filter((m) => m.type === 'reject');
    expect(rejects[0]).toMatchObject({ id: other, reason: RejectReason.unknownContent });
    expect(rejects[1]).toMatchObject({ id, chunk: 999, reason: RejectReason.badRequest });
    expect(rejects[2]).toMatchObject({ id, reason: RejectReason.badRequest });
    // A real chunk still comes, verified bytes of the shared file.
    s.send({ type: 'request', id, chunk: 1 });
    await s.until(() => s.received.filter((m) => m.type === 'data').length >= 16);
    const first = s.received.find((m) => m.type === 'data')!;
    expect(Buffer.from((first as { bytes: Uint8Array }).bytes).equals(bytes.subarray(1024 * 1024, 1024 * 1024 + 65536))).toBe(true);
    s.socket.destroy();

    const t = new TcpTransport({ port: 0, peerId: '34'.repeat(16), manifestOf: () => undefined, counters: new Counters() });
    expect(await t.fetchManifest('127.0.0.1', tcpPort, other)).toBeNull();
    expect(await t.fetchManifest('127.0.0.1', tcpPort, id)).toMatchObject({ name: 'shared.bin' });
    t.close();
  });

  it('still serves a normal download after all that', async () => {
    const out = join(dir, 'after');
    await mkdir(out);
    const res = await runShoal(['get', id, '-o', out, '--data-dir', join(dir, 'after-data'), '--no-tracker', ...lan]);
    expect(res.code, res.stdout + res.stderr).toBe(0);
    expect(sha(await readFile(join(out, 'shared.bin')))).toBe(sha(bytes));
  });

  it('stops on a full disk with a clear message and keeps the partial file', async () => {
    const mnt = join(dir, 'small-disk');
    await mkdir(mnt);
    // A 1 MiB tmpfs in a private mount namespace: nothing is mounted on the host.
    const script = 'mount -t tmpfs -o size=1m shoal-test "$0" || exit 99; "$@"; code=$?; ls -la "$0" >&2; exit $code';
    const res = await runShoal(['get', id, '-o', mnt, '--data-dir', join(dir, 'full-data'), '--no-tracker', ...lan], {
      wrapper: ['unshare', '-m', 'sh', '-c', script, mnt]
    });
    expect(res.code, res.stdout + res.stderr).toBe(1);
    const error = res.events.find((e) => e.event === 'error')!;
    // The store's code and path, not the engine's generic DOWNLOAD_FAILED.
    expect(error.code).toBe('DISK_FULL');
    expect(error.message).toMatch(/disk is full/i);
    expect(error.path).toBe(join(mnt, 'shared.bin.shoal-partial'));
    expect(error.partial).toBe(join(mnt, 'shared.bin.shoal-partial'));
    expect(res.stderr).toContain('shared.bin.shoal-partial');
    expect(res.stderr).not.toMatch(/ shared\.bin\n/);
  });

  it('stops on a read-only folder with a clear message', async () => {
    const mnt = join(dir, 'ro-disk');
    await mkdir(mnt);
    const script = 'mount -t tmpfs -o ro,size=1m shoal-test "$0" || exit 99; exec "$@"';
    const res = await runShoal(['get', id, '-o', mnt, '--data-dir', join(dir, 'ro-data'), '--no-tracker', ...lan], {
      wrapper: ['unshare', '-m', 'sh', '-c', script, mnt]
    });
    expect(res.code, res.stdout + res.stderr).toBe(1);
    const error = res.events.find((e) => e.event === 'error')!;
    expect(error.code).toBe('PERMISSION');
    expect(error.message).toMatch(/read-only/);
  });
});

describe('names from the network', () => {
  const NAMES = [
    '../../../escape.txt',
    '/etc/passwd',
    '..',
    '.bashrc',
    'CON.txt',
    'nul',
    'a\u0000b\u001b[31mred\n.txt',
    'report\u202Efdp.exe',
    'dir\\..\\..\\win.txt',
    `${'x'.repeat(250)}.txt`,
    '😀'.repeat(120)
  ];
  let fake: { engine: PeerEngine; lan: LanDiscovery; tcp: TcpTransport };
  /** content id → the hostile name its manifest is served under. */
  const names = new Map<string, string>();
  const contents = new Map<string, Buffer>();

  beforeAll(async () => {
    // A fake LAN peer, in this process, whose manifest names are hostile. The content id does
    // not cover the name, so each manifest still verifies against its id.
    const peerId = '77'.repeat(16);
    const store = new MemoryChunkStore();
    const files: StoredFile[] = [];
    for (const [i, n] of NAMES.entries()) {
      const content = Buffer.concat([randomBytes(40_000), Buffer.from([i])]);
      const file = await shareBytes(store, { name: 'innocent.bin', bytes: content, chunkSize: 16 * 1024 }, nodeSha256);
      names.set(file.id, n);
      contents.set(file.id, content);
      files.push(file);
    }
    const counters = new Counters();
    const tcp = new TcpTransport({
      port: 0,
      peerId,
      counters,
      manifestOf: (want) => {
        const f = files.find((x) => x.id === want);
        return f ? { ...f.manifest, name: names.get(want)! } : undefined;
      }
    });
    await tcp.listen();
    const lanDisc = new LanDiscovery({
      peerId,
      address: '127.255.255.255',
      port: lanPort,
      tcpPort: () => tcp.port,
      holdings: () => files.map((f) => ({ id: f.id, have: f.have.count, chunks: f.have.size, visibility: 'public' as const })),
      fetchManifest: async () => null,
      sha256: nodeSha256,
      counters,
      log: silentLogger
    });
    const connector = new CompositeConnector({ tcp, maxPeers: 50, counters });
    const engine = new PeerEngine({ peerId, store, directory: lanDisc, connector, sha256: nodeSha256 });
    await lanDisc.start();
    await engine.start();
    fake = { engine, lan: lanDisc, tcp };
  });

  afterAll(() => {
    fake?.engine.stop();
    fake?.lan.stop();
  });

  it('are sanitised: every download lands inside -o, under a safe name', async () => {
    const root = join(dir, 'names');
    await mkdir(root);
    const ids = [...names.keys()];
    const getOne = async (i: number) => {
      const id = ids[i];
      const n = names.get(id)!;
      const out = join(root, `out${i}`);
      await mkdir(out);
      const res = await runShoal(['get', id, '-o', out, '--data-dir', join(dir, `names-data${i}`), '--no-tracker', ...lan]);
      expect(res.code, `${JSON.stringify(n)}\n${res.stdout}${res.stderr}`).toBe(0);
      const saved = await readdir(out);
      expect(saved, JSON.stringify(n)).toEqual([safeFileName(n)]);
      const written = saved[0];
      expect(written).not.toMatch(/[/\\\u0000-\u001f\u202e]/);
      expect(written.startsWith('.')).toBe(false);
      expect(Buffer.byteLength(written)).toBeLessThanOrEqual(255 - '.shoal-partial'.length);
      expect(sha(await readFile(join(out, written)))).toBe(sha(contents.get(id)!));
    };
    // Four at a time: each is a whole `shoal get` process.
    for (let i = 0; i < ids.length; i += 4) await Promise.all(ids.slice(i, i + 4).map((_, k) => getOne(i + k)));
    // Nothing was written anywhere else.
    expect((await readdir(root)).sort()).toEqual(ids.map((_, i) => `out${i}`).sort());
    expect((await readdir(dir)).filter((f) => /escape|passwd|win\.txt/.test(f))).toEqual([]);
  }, 60_000);
});
