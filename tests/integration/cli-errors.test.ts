/**
 * Filesystem failures of `shoal get`, `seed`, `rm` and the shell: the output folder is created
 * when it is missing, and every failure names its real cause, its path and its code — never an
 * unknown id (NOT_FOUND) nor a bare errno. Read-only file systems are private tmpfs or bind
 * mounts in a mount namespace of their own (`unshare -m`): nothing is mounted on the host, and
 * root (as tests run) is refused by them too.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freeUdpPort, killAllShoal, lanArgs, runShoal, spawnShoal, type ShoalEvent, type ShoalProcess } from '../helpers/shoal.ts';

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
const errorOf = (events: ShoalEvent[]) => events.find((e) => e.event === 'error');

/** Runs `args` with `mnt` mounted as an empty read-only tmpfs (in a private mount namespace). */
const onReadOnlyTmpfs = (mnt: string) => ({ wrapper: ['unshare', '-m', 'sh', '-c', 'mount -t tmpfs -o ro,size=1m shoal-test "$0" || exit 99; exec "$@"', mnt] });
/** Runs `args` with the folder `path` bind-mounted read-only onto itself (in a private mount namespace). */
const readOnlyBind = (path: string) => ({
  wrapper: ['unshare', '-m', 'sh', '-c', 'mount --bind "$0" "$0" && mount -o remount,bind,ro "$0" || exit 99; exec "$@"', path]
});

let dir: string;
let lan: string[];
let seeder: ShoalProcess;
let id: string;
const bytes = randomBytes(300_000);

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'shoal-cli-errors-'));
  lan = lanArgs(await freeUdpPort());
  await writeFile(join(dir, 'shared.bin'), bytes);
  seeder = spawnShoal(['seed', join(dir, 'shared.bin'), '--data-dir', join(dir, 'seeder'), '--no-tracker', ...lan]);
  id = (await seeder.waitFor((e) => e.event === 'shared')).id;
  await seeder.waitFor((e) => e.event === 'seeding');
});

afterAll(async () => {
  await killAllShoal();
  await rm(dir, { recursive: true, force: true });
});

/** A data directory holding the record of one shared file (a seeder ran on it, then stopped). */
async function dataWithRecord(name: string): Promise<{ data: string; shared: string }> {
  const data = join(dir, name);
  const file = join(dir, `${name}.txt`);
  await writeFile(file, `shared from ${name}`);
  const s = spawnShoal(['seed', file, '--data-dir', data, '--no-tracker', '--no-lan']);
  const shared = (await s.waitFor((e) => e.event === 'shared')).id;
  await s.waitFor((e) => e.event === 'seeding');
  s.kill('SIGTERM');
  await s.exited;
  return { data, shared };
}

/** `shoal get <id> -o <out>` with a data directory of its own. */
const get = (out: string, name: string, extra: string[] = [], opts = {}) =>
  runShoal(['get', id, '-o', out, '--data-dir', join(dir, `${name}-data`), '--no-tracker', ...lan, ...extra], opts);

describe('get -o', () => {
  it('creates a missing output folder, parents too, and the file lands verified', async () => {
    const out = join(dir, 'new', 'nested', 'downloads');
    const res = await get(out, 'nested');
    expect(res.code, res.stdout + res.stderr).toBe(0);
    expect(res.events.find((e) => e.event === 'done')).toMatchObject({ id, path: join(out, 'shared.bin') });
    expect(await readdir(out)).toEqual(['shared.bin']);
    expect(sha(await readFile(join(out, 'shared.bin')))).toBe(sha(bytes));
  });

  it('a file where the output folder should be: BAD_PATH naming it, the file untouched', async () => {
    const file = join(dir, 'a-file');
    await writeFile(file, 'not a folder');
    const res = await get(file, 'onfile');
    expect(res.code, res.stdout + res.stderr).toBe(1);
    const error = errorOf(res.events);
    expect(error).toMatchObject({ code: 'BAD_PATH', id, path: file });
    expect(error!.message).toContain(file);
    expect(error!.message).toMatch(/file is where a folder should be/);
    expect(await readFile(file, 'utf8')).toBe('not a folder');
  });

  it('a file on the way to the output folder: BAD_PATH, in human output too', async () => {
    const file = join(dir, 'b-file');
    await writeFile(file, 'not a folder either');
    const out = join(file, 'sub', 'dir');
    const res = await get(out, 'underfile', [], { json: false });
    expect(res.code, res.stdout + res.stderr).toBe(1);
    expect(res.stderr).toContain(`error BAD_PATH: ${id}: A part of the path is a file, not a folder (creating the output folder ${out}).`);
    expect(res.stderr).not.toContain('NOT_FOUND');
  });

  it('an output folder that cannot be created (read-only file system) is PERMISSION, not an unknown id', async () => {
    const mnt = join(dir, 'ro-mnt');
    await mkdir(mnt);
    const out = join(mnt, 'missing', 'sub');
    const res = await get(out, 'ro', [], onReadOnlyTmpfs(mnt));
    expect(res.code, res.stdout + res.stderr).toBe(1);
    const error = errorOf(res.events);
    expect(error).toMatchObject({ code: 'PERMISSION', id, path: out });
    expect(error!.message).toContain(`The file system is read-only (creating the output folder ${out})`);
    expect(error!.message).not.toMatch(/known to the tracker/);
  });

  it('a folder where the file would be written: BAD_PATH before anything is fetched, even with --force', async () => {
    const out = join(dir, 'blocked');
    await mkdir(join(out, 'shared.bin'), { recursive: true });
    const res = await get(out, 'blocked', ['--force']);
    expect(res.code, res.stdout + res.stderr).toBe(1);
    expect(errorOf(res.events)).toMatchObject({ code: 'BAD_PATH', id, path: join(out, 'shared.bin'), partial: null });
    expect((await readdir(out)).sort()).toEqual(['shared.bin']);
  });
});

describe('seed', () => {
  it('a missing path is NO_SUCH_PATH naming it, before the peer starts', async () => {
    const missing = join(dir, 'no-such-file.txt');
    const res = await runShoal(['seed', missing, '--data-dir', join(dir, 'seed-missing'), '--no-tracker', '--no-lan']);
    expect(res.code).toBe(1);
    expect(errorOf(res.events)).toMatchObject({ code: 'NO_SUCH_PATH', path: missing, message: `No such file or folder (sharing ${missing}).` });
    expect(res.events.find((e) => e.event === 'ready')).toBeUndefined();
  });

  it('a path under a regular file and a special file are BAD_PATH', async () => {
    const file = join(dir, 'c-file');
    await writeFile(file, 'x');
    const under = await runShoal(['seed', join(file, 'x'), '--data-dir', join(dir, 'seed-under'), '--no-tracker', '--no-lan']);
    expect(under.code).toBe(1);
    expect(errorOf(under.events)).toMatchObject({ code: 'BAD_PATH', path: join(file, 'x') });
    const special = await runShoal(['seed', '/dev/null', '--data-dir', join(dir, 'seed-special'), '--no-tracker', '--no-lan']);
    expect(special.code).toBe(1);
    expect(errorOf(special.events)).toMatchObject({ code: 'BAD_PATH', path: '/dev/null' });
    expect(special.events.find((e) => e.event === 'ready')).toBeUndefined();
  }, 60_000);
});

describe('rm', () => {
  it('an unknown id is NOT_FOUND; an unreadable record is BAD_PATH with its path, and the other ids go on', async () => {
    const [{ data, shared }, other] = await Promise.all([dataWithRecord('rm-broken'), dataWithRecord('rm-other')]);
    // A second record in the same data directory, then its file turned into a folder.
    await writeFile(join(data, 'files', `${other.shared}.json`), await readFile(join(other.data, 'files', `${other.shared}.json`)));
    const broken = join(data, 'files', `${shared}.json`);
    await rm(broken);
    await mkdir(broken);
    const unknown = sha(Buffer.from('never shared'));
    const res = await runShoal(['rm', shared, unknown, other.shared, '--data-dir', data]);
    expect(res.code).toBe(1);
    const errors = res.events.filter((e) => e.event === 'error');
    expect(errors).toEqual([
      expect.objectContaining({ code: 'BAD_PATH', id: shared, path: broken }),
      expect.objectContaining({ code: 'NOT_FOUND', id: unknown })
    ]);
    expect(res.events.filter((e) => e.event === 'removed').map((e) => e.id)).toEqual([other.shared]);
  }, 60_000);

  it('a data directory that is a file, or whose files/ is a file, is BAD_PATH (not EXISTS, not a bare errno)', async () => {
    const file = join(dir, 'data-is-a-file');
    await writeFile(file, 'x');
    const a = await runShoal(['rm', sha(Buffer.from('a')), '--data-dir', file]);
    expect(a.code).toBe(1);
    expect(errorOf(a.events)).toMatchObject({ code: 'BAD_PATH', path: file, message: `A file is where a folder should be (creating the data directory ${file}).` });
    const data = join(dir, 'files-is-a-file');
    await mkdir(data);
    await writeFile(join(data, 'files'), 'x');
    const b = await runShoal(['rm', sha(Buffer.from('b')), '--data-dir', data]);
    expect(b.code).toBe(1);
    expect(errorOf(b.events)).toMatchObject({ code: 'BAD_PATH', path: join(data, 'files') });
  });

  it('a read-only data directory is PERMISSION naming the file it could not write; the record stays', async () => {
    const { data, shared } = await dataWithRecord('rm-ro');
    const res = await runShoal(['rm', shared, '--data-dir', data], readOnlyBind(data));
    expect(res.code, res.stdout + res.stderr).toBe(1);
    expect(errorOf(res.events)).toMatchObject({ code: 'PERMISSION', path: join(data, 'peer.lock') });
    expect(errorOf(res.events)!.message).toMatch(/read-only/);
    expect(JSON.parse(await readFile(join(data, 'files', `${shared}.json`), 'utf8')).id).toBe(shared);
  }, 60_000);
});

describe('data directory', () => {
  it('one that cannot be created (read-only file system) is PERMISSION naming it, not NOT_FOUND', async () => {
    const mnt = join(dir, 'ro-data-mnt');
    await mkdir(mnt);
    const data = join(mnt, 'new-data');
    const res = await runShoal(['get', id, '-o', join(dir, 'ro-data-out'), '--data-dir', data, '--no-tracker', ...lan], onReadOnlyTmpfs(mnt));
    expect(res.code, res.stdout + res.stderr).toBe(1);
    expect(errorOf(res.events)).toMatchObject({ code: 'PERMISSION', path: data, message: `The file system is read-only (creating the data directory ${data}).` });
  });
});

describe('an unfinished download that cannot be resumed', () => {
  it('seed names the partial path, its code and how to forget it; rm forgets it and leaves what is in the way', async () => {
    const { data, shared } = await dataWithRecord('resume-blocked');
    // The record becomes an unfinished download whose partial file is now a folder.
    const partial = join(dir, 'resume-blocked.bin.shoal-partial');
    await mkdir(partial);
    const recordPath = join(data, 'files', `${shared}.json`);
    const record = JSON.parse(await readFile(recordPath, 'utf8'));
    await writeFile(recordPath, JSON.stringify({ ...record, role: 'download', complete: false, partial }));
    const other = join(dir, 'resume-other.txt');
    await writeFile(other, 'other');
    const res = await runShoal(['seed', other, '--data-dir', data, '--no-tracker', '--no-lan']);
    expect(res.code).toBe(1);
    const error = errorOf(res.events);
    expect(error).toMatchObject({ code: 'BAD_PATH', path: partial });
    expect(error!.message).toContain(`shoal rm ${shared}`);
    const removed = await runShoal(['rm', shared, '--data-dir', data]);
    expect(removed.code, removed.stdout + removed.stderr).toBe(0);
    expect(removed.events.find((e) => e.event === 'removed')).toMatchObject({ id: shared, path: null });
    expect(await readdir(partial)).toEqual([]);
  }, 60_000);
});

describe('shell', () => {
  it('get into an impossible folder and share of a missing path report their code and path; the shell goes on', async () => {
    const file = join(dir, 'd-file');
    await writeFile(file, 'x');
    const missing = join(dir, 'not-here');
    const shell = spawnShoal(['shell', '-o', file, '--data-dir', join(dir, 'shell-data'), '--no-tracker', ...lan]);
    await shell.waitFor((e) => e.event === 'ready');
    shell.child.stdin!.write(`share ${missing}\nget ${id}\n`);
    // Lines run one after the other: the share fails before the get starts.
    const shareError = await shell.waitFor((e) => e.event === 'error');
    expect(shareError).toMatchObject({ code: 'NO_SUCH_PATH', path: missing });
    const getError = await shell.waitFor((e) => e.event === 'error' && e.id === id);
    expect(getError).toMatchObject({ code: 'BAD_PATH', path: file });
    shell.child.stdin!.write('myfiles\nexit\n');
    expect((await shell.exited).code).toBe(0);
  });
});
