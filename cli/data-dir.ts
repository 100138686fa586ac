import { randomBytes } from 'node:crypto';
import { open, readFile, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { isAbsolute, join } from 'node:path';
import { computeContentId, isContentId, parseManifest, type Manifest, type Sha256 } from '../src/lib/core/manifest.ts';
import type { FileRole, Visibility } from '../src/lib/peer/ports.ts';
import { CliError, fsError } from './errors.ts';
import { makeDir } from './make-dir.ts';

/**
 * The peer's data directory (docs/NODE-PEER.md, "Data directory"):
 *
 *   <dir>/token            the secret the peer id derives from (mode 0600)
 *   <dir>/peer.lock        pid of the process using the token now
 *   <dir>/files/<id>.json  one record per shared or downloading file
 *
 * One small file per record, each replaced atomically (write, then rename), so that `shoal ls`
 * can read while a seeding process writes, and a crash never leaves half a record.
 */
export interface FileRecord {
  id: string;
  manifest: Manifest;
  role: FileRole;
  visibility: Visibility;
  addedAt: number;
  /** Seed: the shared file, read in place. Download: where the finished file goes. Absolute. */
  path: string;
  /** Download not finished yet: the partial file beside `path`. */
  partial?: string;
  complete: boolean;
  /** Size and mtime of `path` when its chunks were last hashed (complete files). */
  size?: number;
  mtimeMs?: number;
}

const TOKEN_RE = /^[A-Za-z0-9_-]{32,128}$/;

export class DataDir {
  readonly dir: string;
  readonly #sha256: Sha256;

  private constructor(dir: string, sha256: Sha256) {
    this.dir = dir;
    this.#sha256 = sha256;
  }

  /** Opens (creating if needed) a data directory. */
  static async open(dir: string, sha256: Sha256): Promise<DataDir> {
    await makeDir(dir, 'creating the data directory', 0o700);
    await makeDir(join(dir, 'files'), 'creating the data directory', 0o700);
    return new DataDir(dir, sha256);
  }

  /**
   * The folders `seed --watch` watches, remembered so that a bare `shoal seed` watches them
   * again (`watched.json`, absolute paths). A file that is not a list of absolute paths is an error.
   */
  async watched(): Promise<string[]> {
    const path = join(this.dir, 'watched.json');
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw fsError(err, 'reading', path);
    }
    let list: unknown;
    try {
      list = JSON.parse(text);
    } catch {
      list = null;
    }
    if (!Array.isArray(list) || !list.every((p) => typeof p === 'string' && isAbsolute(p))) {
      throw new CliError('BAD_CONFIG', `${path} is not a list of absolute folder paths; fix or delete it.`);
    }
    return [...new Set(list as string[])];
  }

  async setWatched(folders: string[]): Promise<void> {
    const path = join(this.dir, 'watched.json');
    const tmp = `${path}.${process.pid}.tmp`;
    try {
      await writeFile(tmp, JSON.stringify([...new Set(folders)]), { mode: 0o600 });
      await rename(tmp, path);
    } catch (err) {
      await rm(tmp, { force: true }).catch(() => undefined);
      throw fsError(err, 'writing', path);
    }
  }

  /** The persisted secret, created on first use: 32 random bytes in base64url (docs/TRACKER.md). */
  async token(): Promise<string> {
    const path = join(this.dir, 'token');
    try {
      const text = (await readFile(path, 'utf8')).trim();
      if (TOKEN_RE.test(text)) return text;
      throw new CliError('BAD_CONFIG', `${path} does not hold a valid token (32 to 128 characters of A-Z a-z 0-9 _ -); delete it to make a new one.`);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err instanceof CliError ? err : fsError(err, 'reading', path);
    }
    const token = randomBytes(32).toString('base64url');
    try {
      await writeFile(path, `${token}\n`, { mode: 0o600, flag: 'wx' });
      return token;
    } catch (err) {
      // Another process created it first: use theirs.
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') return this.token();
      throw fsError(err, 'writing', path);
    }
  }

  /**
   * Takes the lock `<name>.lock` for this process. Returns a release function, or null if a
   * live process holds it. A lock left by a process that died is taken over.
   */
  async lock(name: string): Promise<(() => Promise<void>) | null> {
    const path = join(this.dir, `${name}.lock`);
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        const fh = await open(path, 'wx', 0o600);
        await fh.writeFile(String(process.pid));
        await fh.close();
        return async () => {
          await rm(path, { force: true });
        };
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw fsError(err, 'creating', path);
      }
      const pid = Number((await readFile(path, 'utf8').catch(() => '')).trim());
      if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && isAlive(pid)) return null;
      try {
        await rm(path, { force: true });
      } catch (err) {
        throw fsError(err, 'removing the stale lock', path);
      }
    }
    return null;
  }

  async list(): Promise<{ records: FileRecord[]; broken: string[] }> {
    let names: string[];
    try {
      names = await readdir(join(this.dir, 'files'));
    } catch (err) {
      throw fsError(err, 'reading', join(this.dir, 'files'));
    }
    const records: FileRecord[] = [];
    const broken: string[] = [];
    for (const name of names.sort()) {
      const m = /^([0-9a-f]{64})\.json$/.exec(name);
      if (!m) continue;
      const record = await this.get(m[1]).catch(() => undefined);
      if (record) records.push(record);
      else broken.push(name);
    }
    return { records, broken };
  }

  /** The record for `id`, or undefined. Throws BAD_CONFIG if it exists but is not valid. */
  async get(id: string): Promise<FileRecord | undefined> {
    if (!isContentId(id)) return undefined;
    const path = this.#path(id);
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw fsError(err, 'reading', path);
    }
    try {
      return await this.#parse(JSON.parse(text), id);
    } catch (err) {
      throw new CliError('BAD_CONFIG', `${path} is not a valid record: ${(err as Error).message}`);
    }
  }

  async put(record: FileRecord): Promise<void> {
    const path = this.#path(record.id);
    const tmp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
    try {
      await writeFile(tmp, JSON.stringify(record), { mode: 0o600 });
      await rename(tmp, path);
    } catch (err) {
      await rm(tmp, { force: true }).catch(() => undefined);
      throw fsError(err, 'writing', path);
    }
  }

  async delete(id: string): Promise<void> {
    if (!isContentId(id)) return;
    const path = this.#path(id);
    try {
      await rm(path, { force: true });
    } catch (err) {
      throw fsError(err, 'deleting', path);
    }
  }

  #path(id: string): string {
    return join(this.dir, 'files', `${id}.json`);
  }

  /** Checks every field; the manifest must hash to the id. */
  async #parse(v: unknown, id: string): Promise<FileRecord> {
    const r = v as Record<string, unknown>;
    if (typeof r !== 'object' || r === null) throw new Error('not an object');
    if (r.id !== id) throw new Error('id does not match the file name');
    const manifest = parseManifest(r.manifest);
    if ((await computeContentId(manifest, this.#sha256)) !== id) throw new Error('manifest does not match the id');
    if (r.role !== 'seed' && r.role !== 'download') throw new Error('bad role');
    if (r.visibility !== 'public' && r.visibility !== 'unlisted') throw new Error('bad visibility');
    if (typeof r.path !== 'string' || !isAbsolute(r.path)) throw new Error('bad path');
    if (r.partial !== undefined && (typeof r.partial !== 'string' || !isAbsolute(r.partial))) throw new Error('bad partial path');
    if (typeof r.complete !== 'boolean') throw new Error('bad complete flag');
    const num = (x: unknown) => (typeof x === 'number' && Number.isFinite(x) && x >= 0 ? x : undefined);
    return {
      id,
      manifest,
      role: r.role,
      visibility: r.visibility,
      addedAt: num(r.addedAt) ?? 0,
      path: r.path,
      partial: r.partial as string | undefined,
      complete: r.complete,
      size: num(r.size),
      mtimeMs: num(r.mtimeMs)
    };
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
