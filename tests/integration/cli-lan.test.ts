/**
 * Node peer to Node peer with no tracker: LAN discovery (UDP broadcast on loopback) finds the
 * seeder, the manifest and the chunks come over TCP. Real `shoal` processes, temp dirs.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freeUdpPort, killAllShoal, lanArgs, runShoal, spawnShoal, type ShoalProcess } from '../helpers/shoal.ts';

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

let dir: string;
let lan: string[];
let seeder: ShoalProcess;
const files: Record<string, Buffer> = {};
const ids: Record<string, string> = {};

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'shoal-cli-lan-'));
  lan = lanArgs(await freeUdpPort());
  const share = join(dir, 'share');
  await mkdir(join(share, 'nested', 'deeper'), { recursive: true });
  files['big.bin'] = randomBytes(5 * 1024 * 1024 + 4321);
  files['notes.txt'] = Buffer.from('hello from the LAN\n');
  files['empty.dat'] = Buffer.alloc(0);
  await writeFile(join(share, 'big.bin'), files['big.bin']);
  await writeFile(join(share, 'nested', 'notes.txt'), files['notes.txt']);
  await writeFile(join(share, 'nested', 'deeper', 'empty.dat'), files['empty.dat']);
  seeder = spawnShoal(['seed', share, '--data-dir', join(dir, 'seeder'), '--no-tracker', ...lan]);
  await seeder.waitFor((e) => e.event === 'seeding');
  for (const e of seeder.events.filter((e) => e.event === 'shared')) ids[e.name] = e.id;
});

afterAll(async () => {
  await killAllShoal();
  await rm(dir, { recursive: true, force: true });
});

describe('shoal over the LAN, no tracker', () => {
  it('shares every file of a folder, recursively, with ids and no tracker link', () => {
    expect(Object.keys(ids).sort()).toEqual(['big.bin', 'empty.dat', 'notes.txt']);
    for (const e of seeder.events.filter((e) => e.event === 'shared')) {
      expect(e.id).toMatch(/^[0-9a-f]{64}$/);
      expect(e.link).toBeNull();
    }
  });

  it('downloads several files by id and by share link, verified, under their names', async () => {
    const out = join(dir, 'out1');
    await mkdir(out);
    const link = `http://example.invalid/d/${ids['notes.txt']}`;
    const res = await runShoal(['get', ids['big.bin'], link, ids['empty.dat'], '-o', out, '--data-dir', join(dir, 'getter1'), '--no-tracker', ...lan]);
    expect(res.code, res.stdout + res.stderr).toBe(0);
    for (const name of ['big.bin', 'notes.txt', 'empty.dat']) {
      expect(sha(await readFile(join(out, name))), name).toBe(sha(files[name]));
    }
    expect((await readdir(out)).sort()).toEqual(['big.bin', 'empty.dat', 'notes.txt']); // no partial files left
    const done = res.events.find((e) => e.event === 'done' && e.id === ids['big.bin'])!;
    expect(done.peers).toEqual([expect.objectContaining({ kind: 'node', bytes: expect.any(Number) })]);
    expect(done.peers[0].bytes).toBeGreaterThan(0);
  });

  it('finds the seeder with whohas over the LAN, and lists what it shares with ls', async () => {
    const who = await runShoal(['whohas', ids['big.bin'], '--no-tracker', ...lan.slice(0, 4)]);
    expect(who.code, who.stderr).toBe(0);
    const peers = who.events.filter((e) => e.event === 'peer');
    expect(peers.length).toBeGreaterThanOrEqual(1);
    expect(peers[0]).toMatchObject({ via: 'lan', seeder: true, kind: 'node' });
    expect(peers[0].address).toMatch(/^127\.0\.0\.1:\d+$/);

    const ls = await runShoal(['ls', '--data-dir', join(dir, 'seeder')]);
    expect(ls.code).toBe(0);
    const listed = ls.events.filter((e) => e.event === 'file');
    expect(listed.map((e) => e.name).sort()).toEqual(['big.bin', 'empty.dat', 'notes.txt']);
    expect(listed.every((e) => e.state === 'shared' && e.role === 'seed')).toBe(true);
  });

  it('keeps seeding with --seed, so a third peer can download from the second', async () => {
    const out2 = join(dir, 'out2');
    await mkdir(out2);
    const second = spawnShoal(['get', ids['notes.txt'], '--seed', '-o', out2, '--data-dir', join(dir, 'getter2'), '--no-tracker', ...lan]);
    await second.waitFor((e) => e.event === 'seeding');
    seeder.kill('SIGTERM');
    expect((await seeder.exited).code).toBe(0);
    const out3 = join(dir, 'out3');
    await mkdir(out3);
    const third = await runShoal(['get', ids['notes.txt'], '-o', out3, '--data-dir', join(dir, 'getter3'), '--no-tracker', ...lan]);
    expect(third.code, third.stdout + third.stderr).toBe(0);
    expect(await readFile(join(out3, 'notes.txt'), 'utf8')).toBe('hello from the LAN\n');
    second.kill('SIGTERM');
    await second.exited;
  }, 60_000);

  it('fails clearly for an id nobody has, and for a malformed id', async () => {
    const unknown = await runShoal(['get', 'ab'.repeat(32), '-o', dir, '--data-dir', join(dir, 'getter4'), '--no-tracker', ...lan]);
    expect(unknown.code).toBe(1);
    expect(unknown.events.find((e) => e.event === 'error')).toMatchObject({ code: 'NOT_FOUND' });
    const bad = await runShoal(['get', 'not-an-id', '--no-tracker', ...lan]);
    expect(bad.code).toBe(2);
    expect(bad.events.find((e) => e.event === 'error')).toMatchObject({ code: 'BAD_ARGUMENT' });
  });
});
