import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { chunkRange } from '../src/lib/core/chunks.ts';
import { DataDir } from './data-dir.ts';
import { FsChunkStore } from './fs-store.ts';
import { hashFile } from './hash-file.ts';
import { nodeSha256 } from './identity.ts';

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
const MiB = 1024 * 1024;

let dir: string;
let data: DataDir;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'shoal-fs-store-'));
  data = await DataDir.open(join(dir, 'data'), nodeSha256);
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function seedFile(bytes: Buffer, name = 'src.bin') {
  const path = join(dir, name);
  await writeFile(path, bytes);
  const hashed = await hashFile(path);
  const store = new FsChunkStore({ data, downloadDir: join(dir) });
  const file = await store.addSeed(path, hashed, 'public');
  return { path, hashed, store, file };
}

describe('FsChunkStore', () => {
  it('serves chunks of a shared file in place, each checked against its hash', async () => {
    const bytes = randomBytes(2 * MiB + 100);
    const { store, hashed, file } = await seedFile(bytes);
    expect(file.have.complete).toBe(true);
    expect(hashed.manifest.chunkHashes).toHaveLength(3);
    for (let i = 0; i < 3; i++) {
      const { start, end } = chunkRange(bytes.length, hashed.manifest.chunkSize, i);
      expect(Buffer.from((await store.getChunk(hashed.id, i))!).equals(bytes.subarray(start, end))).toBe(true);
    }
    expect(await store.getChunk(hashed.id, 3)).toBeUndefined();
    expect(await store.getChunk('00'.repeat(32), 0)).toBeUndefined();
    await store.close();
  });

  it('stops serving a file that changed on disk, and says so', async () => {
    const bytes = randomBytes(MiB + 1);
    const { path, hashed } = await seedFile(bytes);
    const stale: string[] = [];
    const store = new FsChunkStore({ data, downloadDir: dir, onStale: (id) => stale.push(id) });
    expect((await store.load()).ready).toEqual([hashed.id]);
    const changed = Buffer.from(bytes);
    changed[5] ^= 1;
    await writeFile(path, changed);
    const st = await stat(path);
    await utimes(path, st.atime, new Date(hashed.mtimeMs)); // same mtime: only the hash check can tell
    expect(await store.getChunk(hashed.id, 0)).toBeUndefined();
    expect(stale).toEqual([hashed.id]);
    expect(await store.listFiles()).toEqual([]);
    await store.close();
    // On the next load, size and mtime tell a changed file apart without hashing.
    await writeFile(path, Buffer.concat([changed, Buffer.from('more')]));
    const again = new FsChunkStore({ data, downloadDir: dir });
    expect((await again.load()).changed.map((r) => r.id)).toEqual([hashed.id]);
  });

  it('serves a file unchanged since it was hashed without hashing each chunk, a sample apart', async () => {
    const bytes = randomBytes(3 * MiB);
    const path = join(dir, 'old.bin');
    await writeFile(path, bytes);
    const longAgo = new Date(Date.now() - 3_600_000);
    await utimes(path, longAgo, longAgo);
    const hashed = await hashFile(path);
    const store = new FsChunkStore({ data, downloadDir: dir });
    await store.addSeed(path, hashed, 'public');
    expect(Buffer.from((await store.getChunk(hashed.id, 0))!).equals(bytes.subarray(0, MiB))).toBe(true);
    // Chunk 1 rewritten and the mtime put back: size and mtime vouch for it, so it is not hashed
    // (the downloader's check refuses it). A write that moves the mtime is caught (next test).
    const changed = Buffer.from(bytes);
    changed[MiB + 5] ^= 1;
    await writeFile(path, changed);
    await utimes(path, longAgo, longAgo);
    expect(Buffer.from((await store.getChunk(hashed.id, 1))!).equals(changed.subarray(MiB, 2 * MiB))).toBe(true);
    await store.close();
  });

  it('never serves a trusted file once it changed on disk: stale at the first read after the write', async () => {
    const bytes = randomBytes(3 * MiB);
    const path = join(dir, 'old.bin');
    await writeFile(path, bytes);
    const longAgo = new Date(Date.now() - 3_600_000);
    await utimes(path, longAgo, longAgo);
    const hashed = await hashFile(path);
    const stale: string[] = [];
    const store = new FsChunkStore({ data, downloadDir: dir, onStale: (id) => stale.push(id) });
    await store.addSeed(path, hashed, 'public');
    expect(await store.getChunk(hashed.id, 0)).toBeDefined();
    expect(await store.getChunk(hashed.id, 1)).toBeDefined();
    const changed = Buffer.from(bytes);
    changed[2 * MiB + 5] ^= 1; // same size, a new mtime
    await writeFile(path, changed);
    expect(await store.getChunk(hashed.id, 2)).toBeUndefined();
    expect(await store.getChunk(hashed.id, 0)).toBeUndefined();
    expect(stale).toEqual([hashed.id]);
    expect(store.isStale(hashed.id)).toBe(true);
    expect(await store.listFiles()).toEqual([]);
    await store.close();
  });

  it('hashes every chunk it serves of a file whose mtime is not older than its hashing (racy)', async () => {
    const bytes = randomBytes(3 * MiB);
    const path = join(dir, 'racy.bin');
    await writeFile(path, bytes);
    // An mtime after the hashing began, as a write landing in the same clock tick would leave.
    const soon = new Date(Date.now() + 60_000);
    await utimes(path, soon, soon);
    const hashed = await hashFile(path);
    const stale: string[] = [];
    const store = new FsChunkStore({ data, downloadDir: dir, onStale: (id) => stale.push(id) });
    await store.addSeed(path, hashed, 'public');
    expect(Buffer.from((await store.getChunk(hashed.id, 0))!).equals(bytes.subarray(0, MiB))).toBe(true);
    const changed = Buffer.from(bytes);
    changed[MiB + 5] ^= 1;
    await writeFile(path, changed);
    await utimes(path, soon, soon); // size and mtime as hashed: only the hash can tell
    expect(await store.getChunk(hashed.id, 1)).toBeUndefined();
    expect(stale).toEqual([hashed.id]);
    await store.close();
  });

  it('writes a download to a partial file and renames it once complete', async () => {
    const bytes = randomBytes(2 * MiB + 5);
    const { hashed } = await seedFile(bytes, 'origin.bin');
    const out = await mkdtemp(join(dir, 'out-'));
    const finished: string[] = [];
    const store = new FsChunkStore({ data: await DataDir.open(join(dir, 'data2'), nodeSha256), downloadDir: out, onFinished: (_id, p) => finished.push(p) });
    await store.putFile({ id: hashed.id, manifest: { ...hashed.manifest, name: 'copy.bin' }, role: 'download', visibility: 'public', addedAt: 1 });
    const cs = hashed.manifest.chunkSize;
    await store.putChunk(hashed.id, 2, bytes.subarray(2 * cs));
    await store.putChunk(hashed.id, 0, bytes.subarray(0, cs));
    expect((await stat(join(out, 'copy.bin.shoal-partial'))).isFile()).toBe(true);
    await expect(stat(join(out, 'copy.bin'))).rejects.toThrow();
    expect(Buffer.from((await store.getChunk(hashed.id, 2))!).equals(bytes.subarray(2 * cs))).toBe(true);
    await store.putChunk(hashed.id, 1, bytes.subarray(cs, 2 * cs));
    expect(finished).toEqual([join(out, 'copy.bin')]);
    expect(sha(await readFile(join(out, 'copy.bin')))).toBe(sha(bytes));
    await expect(stat(join(out, 'copy.bin.shoal-partial'))).rejects.toThrow();
    expect((await store.getFile(hashed.id))!.have.complete).toBe(true);
    await store.close();
  });

  it('resumes from a partial file by hashing the chunks it holds', async () => {
    const bytes = randomBytes(3 * MiB);
    const { hashed } = await seedFile(bytes, 'origin.bin');
    const out = await mkdtemp(join(dir, 'out-'));
    const d2 = await DataDir.open(join(dir, 'data2'), nodeSha256);
    const first = new FsChunkStore({ data: d2, downloadDir: out });
    await first.putFile({ id: hashed.id, manifest: hashed.manifest, role: 'download', visibility: 'public', addedAt: 1 });
    await first.putChunk(hashed.id, 1, bytes.subarray(MiB, 2 * MiB));
    await first.close();
    // Garbage where chunk 0 would be does not count.
    const partial = join(out, 'origin.bin.shoal-partial');
    const fh = await import('node:fs/promises').then((m) => m.open(partial, 'r+'));
    await fh.write(randomBytes(1000), 0, 1000, 0);
    await fh.close();
    const second = new FsChunkStore({ data: d2, downloadDir: out });
    expect((await second.load()).ready).toEqual([hashed.id]);
    expect((await second.getFile(hashed.id))!.have.indices()).toEqual([1]);
    await second.close();
  });

  it('never overwrites an existing file unless forced', async () => {
    const bytes = randomBytes(1000);
    const { hashed } = await seedFile(bytes, 'origin.bin');
    const out = await mkdtemp(join(dir, 'out-'));
    await writeFile(join(out, 'origin.bin'), 'keep me');
    const store = new FsChunkStore({ data: await DataDir.open(join(dir, 'd3'), nodeSha256), downloadDir: out });
    await expect(store.putFile({ id: hashed.id, manifest: hashed.manifest, role: 'download', visibility: 'public', addedAt: 1 })).rejects.toMatchObject({ code: 'EXISTS' });
    expect(await readFile(join(out, 'origin.bin'), 'utf8')).toBe('keep me');
    const forced = new FsChunkStore({ data: await DataDir.open(join(dir, 'd4'), nodeSha256), downloadDir: out, force: true });
    await forced.putFile({ id: hashed.id, manifest: hashed.manifest, role: 'download', visibility: 'public', addedAt: 1 });
    await forced.putChunk(hashed.id, 0, bytes);
    expect(Buffer.from(await readFile(join(out, 'origin.bin'))).equals(bytes)).toBe(true);
    await forced.close();
  });

  it('finishes an empty file at once, and deleting a download removes only its partial file', async () => {
    const { hashed } = await seedFile(Buffer.alloc(0), 'empty');
    const out = await mkdtemp(join(dir, 'out-'));
    const store = new FsChunkStore({ data: await DataDir.open(join(dir, 'd5'), nodeSha256), downloadDir: out });
    await store.putFile({ id: hashed.id, manifest: { ...hashed.manifest, name: 'empty.dat' }, role: 'download', visibility: 'public', addedAt: 1 });
    expect((await stat(join(out, 'empty.dat'))).size).toBe(0);
    await store.deleteFile(hashed.id);
    expect((await stat(join(out, 'empty.dat'))).size).toBe(0); // a finished file is the user's
    await store.close();
  });
});

describe('DataDir watched folders', () => {
  it('remembers absolute folders once each, and refuses a damaged list with BAD_CONFIG', async () => {
    expect(await data.watched()).toEqual([]);
    await data.setWatched(['/srv/a', '/srv/b', '/srv/a']);
    expect(await data.watched()).toEqual(['/srv/a', '/srv/b']);
    await writeFile(join(data.dir, 'watched.json'), '["relative/path"]');
    await expect(data.watched()).rejects.toMatchObject({ code: 'BAD_CONFIG' });
    await writeFile(join(data.dir, 'watched.json'), '{not json');
    await expect(data.watched()).rejects.toMatchObject({ code: 'BAD_CONFIG' });
  });
});
