/**
 * The `shoal` command line: help, argument and config-file validation, `seed --watch`, `shell`,
 * and `search`/`whohas` against a real tracker (no WebRTC needed: Node peers reach each other
 * over TCP on the LAN here, and the tracker only indexes).
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freeUdpPort, killAllShoal, lanArgs, runShoal, spawnShoal } from '../helpers/shoal.ts';
import { startTestTracker, type TestTracker } from '../helpers/tracker.ts';

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

let dir: string;
let lan: string[];
let tracker: TestTracker;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'shoal-cli-cmd-'));
  lan = lanArgs(await freeUdpPort());
  tracker = await startTestTracker();
});

afterAll(async () => {
  await killAllShoal();
  await tracker?.close();
  await rm(dir, { recursive: true, force: true });
});

describe('help and validation', () => {
  it('documents every command and option', async () => {
    const help = await runShoal(['--help'], { json: false });
    expect(help.code).toBe(0);
    for (const word of ['seed', 'get', 'search', 'whohas', 'ls', 'rm', 'shell', '--tracker', '--no-tracker', '--data-dir', '--output', '--port', '--lan-address', '--lan-port', '--no-lan', '--max-peers', '--upload-limit', '--log-level', '--json']) {
      expect(help.stdout).toContain(word);
    }
    const get = await runShoal(['get', '--help'], { json: false });
    expect(get.stdout).toMatch(/Usage: shoal get/);
    expect(get.stdout).toContain('--force');
    expect(get.stdout).not.toContain('--watch');
  });

  it('refuses bad arguments with exit status 2 and a code', async () => {
    const cases = [
      ['frobnicate'],
      ['get', '--watch', 'ab'.repeat(32)],
      ['get', '12345'],
      ['seed', '--port', '70000'],
      ['seed', '--lan-address', 'lan.example'],
      ['seed', '--upload-limit', 'fast'],
      ['ls', '--log-level', 'loud'],
      ['seed', '--tracker', 'ftp://x', 'f'],
      ['seed', '--tracker', 'http://x', '--no-tracker']
    ];
    const results = await Promise.all(cases.map((args) => runShoal(args)));
    results.forEach((res, i) => {
      expect(res.code, cases[i].join(' ')).toBe(2);
      expect(res.events.find((e) => e.event === 'error')?.code, cases[i].join(' ')).toBe('BAD_ARGUMENT');
    });
  }, 60_000);

  it('reads a config file, flags override it, and refuses unknown keys', async () => {
    const cfgDir = join(dir, 'cfg');
    await mkdir(cfgDir);
    await writeFile(join(cfgDir, 'shoal.config.json'), JSON.stringify({ dataDir: 'data-from-config', logLevel: 'error' }));
    const ls = await runShoal(['ls'], { cwd: cfgDir });
    expect(ls.events.find((e) => e.event === 'total')?.dataDir).toBe(join(cfgDir, 'data-from-config'));
    const flag = await runShoal(['ls', '--data-dir', join(dir, 'flag-data')], { cwd: cfgDir });
    expect(flag.events.find((e) => e.event === 'total')?.dataDir).toBe(join(dir, 'flag-data'));
    await writeFile(join(cfgDir, 'bad.json'), JSON.stringify({ trackr: 'http://x' }));
    const bad = await runShoal(['ls', '--config', join(cfgDir, 'bad.json')], { cwd: cfgDir });
    expect(bad.code).toBe(2);
    expect(bad.events.find((e) => e.event === 'error')).toMatchObject({ code: 'BAD_CONFIG' });
  });
});

describe('seed --watch, search, whohas and shell', () => {
  it('shares files added to a watched folder later, and stops sharing removed ones', async () => {
    const folder = join(dir, 'watched');
    await mkdir(folder);
    await writeFile(join(folder, 'first.txt'), 'first');
    const seeder = spawnShoal(['seed', folder, '--watch', '--tracker', tracker.url, ...lan, '--data-dir', join(dir, 'watcher')]);
    await seeder.waitFor((e) => e.event === 'seeding');
    const later = randomBytes(200_000);
    await writeFile(join(folder, 'later.bin'), later);
    const shared = await seeder.waitFor((e) => e.event === 'shared' && e.name === 'later.bin', 15_000);
    expect(shared.link).toBe(`${tracker.url}/d/${shared.id}`);

    // The tracker indexes it: search finds it by name.
    const found = await runShoal(['search', 'later', '--tracker', tracker.url]);
    expect(found.code, found.stderr).toBe(0);
    expect(found.events.find((e) => e.event === 'result')).toMatchObject({ id: shared.id, name: 'later.bin', seeders: 1 });
    // whohas asks the tracker and the LAN: the same peer, both ways.
    const who = await runShoal(['whohas', shared.id, '--tracker', tracker.url, ...lan.slice(0, 4)]);
    const via = who.events.filter((e) => e.event === 'peer').map((e) => e.via).sort();
    expect(via).toEqual(['lan', 'tracker']);

    // A shell downloads it, lists it, and shows its peers.
    const out = join(dir, 'shell-out');
    await mkdir(out);
    const shell = spawnShoal(['shell', '-o', out, '--tracker', tracker.url, ...lan, '--data-dir', join(dir, 'shell')]);
    await shell.waitFor((e) => e.event === 'ready');
    shell.child.stdin!.write(`get ${shared.id}\n`);
    await shell.waitFor((e) => e.event === 'done' && e.id === shared.id, 20_000);
    shell.child.stdin!.write('myfiles\npeers\nwhohas ' + shared.id + '\nsearch later\nbogus\nexit\n');
    expect((await shell.exited).code).toBe(0);
    expect(sha(await readFile(join(out, 'later.bin')))).toBe(sha(later));
    expect(shell.events.find((e) => e.event === 'file')).toMatchObject({ id: shared.id, state: 'downloaded' });
    expect(shell.events.find((e) => e.event === 'peers')).toMatchObject({ tracker: 'connected' });
    expect(shell.events.filter((e) => e.event === 'peer').length).toBeGreaterThanOrEqual(1);
    expect(shell.events.find((e) => e.event === 'result')).toMatchObject({ id: shared.id });
    expect(shell.events.find((e) => e.event === 'error')).toMatchObject({ code: 'BAD_ARGUMENT' });

    await unlink(join(folder, 'later.bin'));
    await seeder.waitFor((e) => e.event === 'unshared' && e.id === shared.id, 15_000);
    seeder.kill('SIGTERM');
    expect((await seeder.exited).code).toBe(0);
  }, 60_000);

  it('restarts without hashing again, and hashes a file again when it changed', async () => {
    const file = join(dir, 'restart.txt');
    await writeFile(file, 'version one');
    const args = ['seed', '--no-tracker', ...lan, '--data-dir', join(dir, 'restarts')];
    const first = spawnShoal([...args, file]);
    const one = await first.waitFor((e) => e.event === 'shared');
    expect(one.reused).toBe(false);
    first.kill('SIGTERM');
    await first.exited;

    const second = spawnShoal(args); // no paths: what the data directory lists
    await second.waitFor((e) => e.event === 'seeding');
    expect(second.events.filter((e) => e.event === 'hashing' || e.event === 'shared')).toEqual([]);
    second.kill('SIGTERM');
    await second.exited;

    await writeFile(file, 'version two, longer');
    const third = spawnShoal(args);
    const two = await third.waitFor((e) => e.event === 'shared');
    expect(two.id).not.toBe(one.id);
    third.kill('SIGTERM');
    await third.exited;
    const ls = await runShoal(['ls', '--data-dir', join(dir, 'restarts')]);
    expect(ls.events.filter((e) => e.event === 'file').map((e) => e.id)).toEqual([two.id]);
  }, 60_000);

  it('remembers watched folders: a bare seed watches them again; rm <folder> forgets one', async () => {
    const folder = join(dir, 'remembered');
    await mkdir(folder);
    await writeFile(join(folder, 'a.txt'), 'a');
    const data = join(dir, 'remember-data');
    const args = ['--no-tracker', ...lan, '--data-dir', data];
    const first = spawnShoal(['seed', folder, '--watch', ...args]);
    await first.waitFor((e) => e.event === 'seeding');
    first.kill('SIGTERM');
    await first.exited;
    expect((await runShoal(['ls', '--data-dir', data])).events.filter((e) => e.event === 'watched')).toEqual([{ event: 'watched', path: folder }]);

    // No paths, no --watch: the folder is watched again, so a file added now is shared.
    const again = spawnShoal(['seed', ...args]);
    await again.waitFor((e) => e.event === 'seeding');
    await writeFile(join(folder, 'b.txt'), 'added after the restart');
    await again.waitFor((e) => e.event === 'shared' && e.name === 'b.txt', 15_000);
    again.kill('SIGTERM');
    await again.exited;

    const forgot = await runShoal(['rm', folder, '--data-dir', data]);
    expect(forgot.code).toBe(0);
    expect(forgot.events.find((e) => e.event === 'unwatched')).toMatchObject({ path: folder });
    expect((await runShoal(['ls', '--data-dir', data])).events.filter((e) => e.event === 'watched')).toEqual([]);
    // Its files stay shared; the folder is just not watched any more.
    expect((await runShoal(['ls', '--data-dir', data])).events.filter((e) => e.event === 'file').map((e) => e.name).sort()).toEqual(['a.txt', 'b.txt']);
  }, 60_000);

  it('takes several trackers and uses the next when the first does not answer', async () => {
    const dead = `http://127.0.0.1:${await freeUdpPort()}`; // nothing listens on TCP there
    const found = await runShoal(['search', 'anything', '--tracker', `${dead},${tracker.url}`]);
    expect(found.code).toBe(0);
    expect(found.events.find((e) => e.event === 'total')).toBeDefined();
    expect(found.stderr).not.toMatch(/NO_NETWORK/);
  }, 30_000);

  it('rm stops sharing and forgets downloads: the shared file stays, a partial goes; refused while a peer runs', async () => {
    const data = join(dir, 'rm-data');
    const file = join(dir, 'keep-me.txt');
    const half = join(dir, 'half.bin');
    await writeFile(file, 'shared, then removed');
    await writeFile(half, randomBytes(3000));
    const args = ['--no-tracker', ...lan, '--data-dir', data];
    const seeder = spawnShoal(['seed', ...args, file, half]);
    await seeder.waitFor((e) => e.event === 'seeding');
    const [shared, halfShared] = [file, half].map((p) => seeder.events.find((e) => e.event === 'shared' && e.path === p)!);
    // While the peer runs, the offline command refuses and changes nothing.
    const busy = await runShoal(['rm', shared.id, '--data-dir', data]);
    expect(busy.code).toBe(1);
    expect(busy.events.find((e) => e.event === 'error')).toMatchObject({ code: 'IN_USE' });
    seeder.kill('SIGTERM');
    await seeder.exited;

    // Turn the second record into an unfinished download with its partial file, as an
    // interrupted `get` leaves them.
    const partial = `${half}.shoal-partial`;
    await writeFile(partial, randomBytes(1000));
    const halfRecord = join(data, 'files', `${halfShared.id}.json`);
    const record = JSON.parse(await readFile(halfRecord, 'utf8'));
    await writeFile(halfRecord, JSON.stringify({ ...record, role: 'download', complete: false, partial }));
    const unknown = createHash('sha256').update('never shared').digest('hex');

    const removed = await runShoal(['rm', `${tracker.url}/d/${shared.id}`, shared.id, halfShared.id, unknown, '--data-dir', data]);
    expect(removed.code).toBe(1); // one id was not there
    expect(removed.events.filter((e) => e.event === 'removed')).toEqual([
      { event: 'removed', id: shared.id, name: 'keep-me.txt', role: 'seed', path: file },
      { event: 'removed', id: halfShared.id, name: 'half.bin', role: 'download', path: null }
    ]);
    expect(removed.events.find((e) => e.event === 'error')).toMatchObject({ code: 'NOT_FOUND' });
    expect(await readFile(file, 'utf8')).toBe('shared, then removed');
    await expect(readFile(partial)).rejects.toMatchObject({ code: 'ENOENT' });
    expect((await runShoal(['ls', '--data-dir', data])).events.filter((e) => e.event === 'file')).toEqual([]);
    expect((await runShoal(['rm', 'not-an-id', '--data-dir', data])).code).toBe(2);

    // In a shell, rm stops sharing at once.
    const shell = spawnShoal(['shell', ...args]);
    await shell.waitFor((e) => e.event === 'ready');
    shell.child.stdin!.write(`share ${file}\n`);
    const again = await shell.waitFor((e) => e.event === 'shared');
    shell.child.stdin!.write(`rm ${again.id}\nmyfiles\nexit\n`);
    expect((await shell.exited).code).toBe(0);
    expect(shell.events.find((e) => e.event === 'removed')).toMatchObject({ id: again.id, name: 'keep-me.txt' });
    expect(shell.events.filter((e) => e.event === 'file')).toEqual([]);
    expect((await runShoal(['ls', '--data-dir', data])).events.filter((e) => e.event === 'file')).toEqual([]);
  }, 60_000);
});
