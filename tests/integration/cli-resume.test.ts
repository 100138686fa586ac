/**
 * Resume after killing `shoal get`: the partial file keeps the verified chunks, the final name
 * does not exist until the whole file is verified, and a second run continues where the first
 * stopped (it infers which chunks it has by hashing the partial file).
 */
import { createHash, randomBytes } from 'node:crypto';
import { access, mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freeUdpPort, killAllShoal, lanArgs, runShoal, spawnShoal, type ShoalProcess } from '../helpers/shoal.ts';

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
const SIZE = 8 * 1024 * 1024 + 99;

let dir: string;
let lan: string[];
let seeder: ShoalProcess;
let original: Buffer;
let id: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'shoal-cli-resume-'));
  lan = lanArgs(await freeUdpPort());
  original = randomBytes(SIZE);
  await writeFile(join(dir, 'movie.mkv'), original);
  // A slow seeder (1 MiB/s), so the download can be killed half way.
  seeder = spawnShoal(['seed', join(dir, 'movie.mkv'), '--data-dir', join(dir, 'seeder'), '--no-tracker', '--upload-limit', '1M', ...lan]);
  id = (await seeder.waitFor((e) => e.event === 'shared')).id;
  await seeder.waitFor((e) => e.event === 'seeding');
});

afterAll(async () => {
  await killAllShoal();
  await rm(dir, { recursive: true, force: true });
});

describe('shoal get, killed and run again', () => {
  it('resumes from the partial file and renames it only when complete', async () => {
    const out = join(dir, 'out');
    await mkdir(out);
    const args = ['get', id, '-o', out, '--data-dir', join(dir, 'getter'), '--no-tracker', ...lan];
    const first = spawnShoal(args);
    const before = await first.waitFor((e) => e.event === 'progress' && e.have >= 3, 40_000);
    // The seeder is frozen before the getter is killed, so the getter cannot finish in between
    // (however long the kill takes to land); it goes on once the getter is gone.
    seeder.kill('SIGSTOP');
    first.kill('SIGKILL');
    await first.exited;
    seeder.kill('SIGCONT');

    const partial = join(out, 'movie.mkv.shoal-partial');
    expect((await stat(partial)).size).toBeGreaterThan(0);
    await expect(access(join(out, 'movie.mkv'))).rejects.toThrow();

    const second = spawnShoal(args);
    const resumed = await second.waitFor((e) => e.event === 'progress', 20_000);
    expect(resumed.have).toBeGreaterThanOrEqual(before.have);
    expect(resumed.have).toBeLessThan(resumed.chunks);
    const { code } = await second.exited;
    expect(code, second.stdout() + second.stderr()).toBe(0);
    expect(sha(await readFile(join(out, 'movie.mkv')))).toBe(sha(original));
    await expect(access(partial)).rejects.toThrow();
    // The second run fetched fewer bytes than the whole file.
    const last = second.events.filter((e) => e.event === 'progress').at(-1)!;
    expect(last.state).toBe('done');
  }, 60_000);

  it('a third run finds the file complete and does nothing', async () => {
    const res = await runShoal(['get', id, '-o', join(dir, 'out'), '--data-dir', join(dir, 'getter'), '--no-tracker', ...lan]);
    expect(res.code).toBe(0);
    expect(res.events.find((e) => e.event === 'done')?.path).toBe(join(dir, 'out', 'movie.mkv'));
  });

  it('never overwrites an existing file without --force', async () => {
    const out = join(dir, 'out-exists');
    await mkdir(out);
    await writeFile(join(out, 'movie.mkv'), 'precious');
    const refused = await runShoal(['get', id, '-o', out, '--data-dir', join(dir, 'getter2'), '--no-tracker', ...lan]);
    expect(refused.code).toBe(1);
    expect(refused.events.find((e) => e.event === 'error')).toMatchObject({ code: 'EXISTS' });
    expect(await readFile(join(out, 'movie.mkv'), 'utf8')).toBe('precious');
  });
});
