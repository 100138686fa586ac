/**
 * A shared file changed on disk under a running `shoal seed`, half way through a download. The
 * seeder trusts a file whose size and mtime have not moved since it was hashed (it does not hash
 * every chunk it serves), so this is what keeps that trust honest: the seeder notices the change
 * at its next read and stops serving the file, it never sends a byte of the new content under the
 * old manifest, and the downloader finishes with the original file from another seeder.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freeUdpPort, killAllShoal, lanArgs, spawnShoal } from '../helpers/shoal.ts';

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
const SIZE = 8 * 1024 * 1024 + 99;

let dir: string;
let lan: string[];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'shoal-cli-changed-'));
  lan = lanArgs(await freeUdpPort());
});

afterAll(async () => {
  await killAllShoal();
  await rm(dir, { recursive: true, force: true });
});

describe('a seeded file changed on disk during a download', () => {
  it('is no longer served by its seeder, and the download ends with the original bytes from elsewhere', async () => {
    const original = randomBytes(SIZE);
    await mkdir(join(dir, 'a'));
    await mkdir(join(dir, 'b'));
    const pathA = join(dir, 'a', 'movie.bin');
    await writeFile(pathA, original);
    // An mtime long before the hashing: the seeder trusts the file and does not hash what it serves.
    const longAgo = new Date(Date.now() - 3_600_000);
    await utimes(pathA, longAgo, longAgo);
    // A slow seeder (1 MiB/s), so the file can be changed while chunks are still asked of it.
    const seederA = spawnShoal(['seed', pathA, '--data-dir', join(dir, 'seeder-a'), '--no-tracker', '--upload-limit', '1M', ...lan]);
    const id = (await seederA.waitFor((e) => e.event === 'shared')).id;
    await seederA.waitFor((e) => e.event === 'seeding');

    const out = join(dir, 'out');
    await mkdir(out);
    const getter = spawnShoal(['get', id, '-o', out, '--data-dir', join(dir, 'getter'), '--no-tracker', ...lan]);
    await getter.waitFor((e) => e.event === 'progress' && e.have >= 2, 40_000);

    // Same size, other bytes, a new mtime.
    const changed = randomBytes(SIZE);
    await writeFile(pathA, changed);
    await expect.poll(() => seederA.stderr(), { timeout: 20_000 }).toContain('no longer served');

    // The original bytes, shared from another folder under the same name (so the same id).
    const pathB = join(dir, 'b', 'movie.bin');
    await writeFile(pathB, original);
    const seederB = spawnShoal(['seed', pathB, '--data-dir', join(dir, 'seeder-b'), '--no-tracker', ...lan]);
    expect((await seederB.waitFor((e) => e.event === 'shared')).id).toBe(id);

    const { code } = await getter.exited;
    expect(code, getter.stdout() + getter.stderr()).toBe(0);
    expect(sha(await readFile(join(out, 'movie.bin')))).toBe(sha(original));
    // Seeder A never sent the new content as a chunk of the old file: no chunk failed verification.
    expect(getter.stderr()).not.toMatch(/CHUNK_HASH_MISMATCH|BAD_CHUNK|PEER_DROPPED|failed verification/);
    seederA.kill('SIGTERM');
    seederB.kill('SIGTERM');
    await Promise.all([seederA.exited, seederB.exited]);
  }, 90_000);
});
