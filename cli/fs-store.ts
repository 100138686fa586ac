import { constants as FS, fstatSync, type Stats } from 'node:fs';
import { link, lstat, open, rename, rm, stat, unlink, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import { Bitfield } from '../src/lib/core/bitfield.ts';
import { chunkRange } from '../src/lib/core/chunks.ts';
import type { ChunkStore, StoredFile, Visibility } from '../src/lib/peer/ports.ts';
import { PARTIAL_SUFFIX } from './constants.ts';
import type { DataDir, FileRecord } from './data-dir.ts';
import { CliError, fsError } from './errors.ts';
import { ChunkTrust } from './chunk-trust.ts';
import { verifiedChunks, type HashedFile } from './hash-file.ts';
import { sha256Hex } from './identity.ts';
import { makeDir } from './make-dir.ts';
import { pathInside, safeFileName } from './safe-name.ts';

export interface FsStoreOptions {
  data: DataDir;
  /** Where new downloads are written. */
  downloadDir: string;
  /** Overwrite an existing file where a download would be written. */
  force?: boolean;
  /** Which records of the data directory this process loads and serves (default: all). */
  include?: (record: FileRecord) => boolean;
  /** A shared file no longer matches its manifest (changed on disk): it is no longer served. */
  onStale?: (id: string, path: string) => void;
  /** A download was verified whole and moved to its final name. */
  onFinished?: (id: string, path: string) => void;
  /** Resuming: bytes of an existing partial file checked so far. */
  onCheck?: (id: string, bytes: number, total: number) => void;
}

interface Entry {
  record: FileRecord;
  have: Bitfield;
  /** Open handle: read-write on the partial file while downloading, read-only otherwise. */
  fh: FileHandle | null;
  opening: Promise<FileHandle> | null;
  finishing: Promise<void> | null;
  stale: boolean;
  /** A complete shared file: whether its size and mtime still vouch for its bytes. Null: hash every read. */
  trust: ChunkTrust | null;
}

export interface LoadResult {
  /** Ids loaded and ready to serve or resume. */
  ready: string[];
  /** Complete files whose size or mtime changed since they were hashed: hash them again. */
  changed: FileRecord[];
  /** Complete files that are gone from disk. */
  missing: FileRecord[];
}

/**
 * The ChunkStore of the Node peer (DESIGN.md, "Storage"): shared files are read in place, by
 * range. A chunk read from a shared file is served unhashed only while the file's size and
 * mtime, taken after the read, are those it had when it was hashed (cli/chunk-trust.ts: a file
 * modified around its hashing, the first chunk served and a sample after it are hashed anyway);
 * any other read is checked against its hash. A file that changed is no longer served (onStale),
 * never served as the old content. A download is
 * written into `<name>.shoal-partial` beside its final name and renamed only after its last
 * chunk is verified and written. Records (manifest and paths) live in the data directory.
 */
export class FsChunkStore implements ChunkStore {
  readonly #opts: FsStoreOptions;
  readonly #entries = new Map<string, Entry>();
  /** Why writing a download failed (its code and path): the first failure since it was opened. */
  readonly #failures = new Map<string, CliError>();
  #closed = false;

  constructor(opts: FsStoreOptions) {
    this.#opts = opts;
  }

  /**
   * Loads the data directory's records. A complete file is checked by size and mtime only (no
   * re-hash); an unfinished download has its partial file hashed chunk by chunk to learn which
   * chunks it holds.
   */
  async load(): Promise<LoadResult> {
    const result: LoadResult = { ready: [], changed: [], missing: [] };
    const { records } = await this.#opts.data.list();
    for (const record of records) {
      if (this.#opts.include && !this.#opts.include(record)) continue;
      if (record.complete) {
        const st = await stat(record.path).catch(() => null);
        if (!st || !st.isFile()) {
          result.missing.push(record);
          continue;
        }
        if (st.size !== record.manifest.size || st.mtimeMs !== record.mtimeMs) {
          result.changed.push(record);
          continue;
        }
        const entry = newEntry(record, Bitfield.full(record.manifest.chunkHashes.length));
        // When it was hashed is not recorded; it was added after, so addedAt errs on the racy side.
        entry.trust = new ChunkTrust(st, record.addedAt);
        this.#entries.set(record.id, entry);
        result.ready.push(record.id);
      } else {
        try {
          await this.#openDownload(record);
        } catch (err) {
          const e = fsError(err, 'opening', record.partial);
          throw new CliError(e.code, `${e.message} It holds the unfinished download of ${record.manifest.name}; shoal rm ${record.id} forgets that download.`, { cause: err, path: e.path });
        }
        result.ready.push(record.id);
      }
    }
    return result;
  }

  /** Shares a file hashed in place. Replaces an earlier record of the same id. */
  async addSeed(path: string, hashed: HashedFile, visibility: Visibility): Promise<StoredFile> {
    const previous = this.#entries.get(hashed.id);
    if (previous && previous.record.complete && previous.record.path !== path && !previous.stale) {
      // The same bytes are shared already from another path: keep serving that one.
      return this.#stored(previous);
    }
    if (previous) await this.#closeEntry(previous);
    const record: FileRecord = {
      id: hashed.id,
      manifest: hashed.manifest,
      role: 'seed',
      visibility,
      addedAt: Date.now(),
      path,
      complete: true,
      size: hashed.size,
      mtimeMs: hashed.mtimeMs
    };
    await this.#opts.data.put(record);
    const entry = newEntry(record, Bitfield.full(hashed.manifest.chunkHashes.length));
    entry.trust = new ChunkTrust(hashed, hashed.hashedAt);
    this.#entries.set(record.id, entry);
    return this.#stored(entry);
  }

  /** Where a download of `name` would be written, and its partial file. */
  targetOf(name: string): { path: string; partial: string } {
    const path = pathInside(this.#opts.downloadDir, safeFileName(name));
    return { path, partial: path + PARTIAL_SUFFIX };
  }

  record(id: string): FileRecord | undefined {
    return this.#entries.get(id)?.record;
  }

  /**
   * Why writing the download of `id` failed, as a CliError with its code and path (DISK_FULL,
   * PERMISSION...): the first write that failed since the download was opened (a failed download
   * stays failed). The engine only keeps a reason for people, so the CLI asks here for the code.
   */
  failure(id: string): CliError | undefined {
    return this.#failures.get(id);
  }

  /** Ids whose file changed on disk since it was hashed (no longer served). */
  isStale(id: string): boolean {
    return this.#entries.get(id)?.stale ?? false;
  }

  // ChunkStore

  async putFile(file: Omit<StoredFile, 'have'>): Promise<void> {
    if (this.#entries.has(file.id)) return;
    if (file.role !== 'download') throw new CliError('BAD_ARGUMENT', 'Shared files are added with addSeed.');
    const { path, partial } = this.targetOf(file.manifest.name);
    // The output folder is created on the first download into it (as `mkdir -p`).
    await makeDir(this.#opts.downloadDir, 'creating the output folder');
    const there = await lstatOrNull(path);
    if (there?.isDirectory()) {
      throw new CliError('BAD_PATH', `A folder is where the download should be written (${path}); use -o to download elsewhere.`, { path });
    }
    if (there && !this.#opts.force) {
      throw new CliError('EXISTS', `${path} exists already; use --force to overwrite it, or -o to download elsewhere.`, { path });
    }
    const record: FileRecord = {
      id: file.id,
      manifest: file.manifest,
      role: 'download',
      visibility: file.visibility,
      addedAt: file.addedAt,
      path,
      partial,
      complete: false
    };
    await this.#openDownload(record);
    await this.#opts.data.put(record);
  }

  async getFile(id: string): Promise<StoredFile | undefined> {
    const entry = this.#entries.get(id);
    return entry ? this.#stored(entry) : undefined;
  }

  async listFiles(): Promise<StoredFile[]> {
    return [...this.#entries.values()].filter((e) => !e.stale).map((e) => this.#stored(e));
  }

  /** Stops sharing `id`. A shared or finished file stays on disk; an unfinished partial file is removed. */
  async deleteFile(id: string): Promise<void> {
    const entry = this.#entries.get(id);
    this.#entries.delete(id);
    this.#failures.delete(id);
    if (entry) {
      await this.#closeEntry(entry);
      if (!entry.record.complete && entry.record.partial) await removePartial(entry.record.partial);
    }
    await this.#opts.data.delete(id);
  }

  async getChunk(id: string, index: number): Promise<Uint8Array | undefined> {
    const entry = this.#entries.get(id);
    if (!entry || entry.stale || !entry.have.get(index)) return undefined;
    const m = entry.record.manifest;
    const { start, end } = chunkRange(m.size, m.chunkSize, index);
    const buf = Buffer.allocUnsafe(end - start);
    try {
      const fh = await this.#handle(entry);
      let off = 0;
      while (off < buf.length) {
        const { bytesRead } = await fh.read(buf, off, buf.length - off, start + off);
        if (bytesRead === 0) break;
        off += bytesRead;
      }
      if (off === buf.length) {
        // The stamp after the read: a write that began before the read ended has moved the mtime.
        // fstat of an open descriptor answers from the inode in memory: a round trip through the
        // thread pool per chunk would cost more than the call.
        const check = entry.trust ? entry.trust.check(fstatSync(fh.fd)) : 'verify';
        if (check === 'trust' || (check === 'verify' && sha256Hex(buf) === m.chunkHashes[index])) return buf;
      }
    } catch {
      // unreadable: treated like a changed file below
    }
    this.#markStale(entry);
    return undefined;
  }

  async putChunk(id: string, index: number, bytes: Uint8Array): Promise<void> {
    const entry = this.#entries.get(id);
    if (!entry) throw new CliError('NOT_FOUND', `No download of ${id} in this store.`);
    if (entry.have.get(index)) return; // a duplicate from the endgame, or already finished
    const m = entry.record.manifest;
    const { start, end } = chunkRange(m.size, m.chunkSize, index);
    if (bytes.length !== end - start) throw new CliError('IO', `Chunk ${index} has the wrong length.`);
    const partial = entry.record.partial!;
    try {
      try {
        const fh = await this.#handle(entry);
        let off = 0;
        while (off < bytes.length) {
          const { bytesWritten } = await fh.write(bytes, off, bytes.length - off, start + off);
          off += bytesWritten;
        }
      } catch (err) {
        throw fsError(err, 'writing', partial);
      }
      if (this.#closed) return;
      entry.have.set(index);
      if (entry.have.complete) await this.#finish(entry);
    } catch (err) {
      if (err instanceof CliError && !this.#failures.has(id)) this.#failures.set(id, err);
      throw err;
    }
  }

  /** Closes every open file. Partial files stay for a later resume. */
  async close(): Promise<void> {
    this.#closed = true;
    for (const entry of this.#entries.values()) {
      await entry.finishing?.catch(() => undefined);
      await this.#closeEntry(entry);
    }
  }

  // internals

  #stored(entry: Entry): StoredFile {
    const r = entry.record;
    // A copy: the engine's bitfield moves when a chunk is counted, the store's when it is written.
    const have = new Bitfield(entry.have.size, entry.have.bytes);
    return { id: r.id, manifest: r.manifest, role: r.role, visibility: r.visibility, addedAt: r.addedAt, have };
  }

  /** Opens (creating) the partial file of a download and learns which chunks it already holds. */
  async #openDownload(record: FileRecord): Promise<void> {
    const partial = record.partial!;
    // A resumed download whose folder was deleted meanwhile starts again in a new one.
    await makeDir(dirname(partial), 'creating the output folder');
    let fh: FileHandle;
    try {
      const st = await lstat(partial).catch(() => null);
      if (st && !st.isFile()) throw new CliError('BAD_PATH', `Something that is not a regular file is where the partial file should be (opening ${partial}); move it away.`, { path: partial });
      fh = await open(partial, FS.O_RDWR | FS.O_CREAT | FS.O_NOFOLLOW, 0o644);
    } catch (err) {
      throw fsError(err, 'opening', partial);
    }
    const total = record.manifest.size;
    let have = new Bitfield(record.manifest.chunkHashes.length);
    const length = (await fh.stat().catch(() => null))?.size ?? 0;
    if (length > 0 || have.size === 0) {
      // A partial file from an earlier run: learn which chunks it holds by hashing them.
      have = await verifiedChunks(fh, record.manifest, (bytes) => this.#opts.onCheck?.(record.id, bytes, total)).catch(async (err) => {
        await fh.close().catch(() => undefined);
        throw fsError(err, 'reading', partial);
      });
    }
    const entry = newEntry(record, have);
    entry.fh = fh;
    this.#failures.delete(record.id);
    this.#entries.set(record.id, entry);
    if (have.complete) await this.#finish(entry);
  }

  #finish(entry: Entry): Promise<void> {
    entry.finishing ??= this.#doFinish(entry).catch((err) => {
      entry.finishing = null;
      throw err;
    });
    return entry.finishing;
  }

  /** The last chunk is written: flush, then move the partial file to its final name. */
  async #doFinish(entry: Entry): Promise<void> {
    const { path, partial } = entry.record;
    if (!partial) return;
    try {
      const fh = await this.#handle(entry);
      await fh.truncate(entry.record.manifest.size);
      await fh.sync();
    } catch (err) {
      throw fsError(err, 'writing', partial);
    }
    await this.#closeEntry(entry);
    try {
      if (this.#opts.force) await rename(partial, path);
      else {
        // link() never replaces an existing file, so a file that appeared meanwhile is kept.
        try {
          await link(partial, path);
          await unlink(partial);
        } catch (err) {
          const code = (err as NodeJS.ErrnoException).code;
          if (code === 'EEXIST') throw err;
          // A filesystem without hard links: check, then rename.
          if (await lstatOrNull(path)) throw Object.assign(new Error('exists'), { code: 'EEXIST' });
          await rename(partial, path);
        }
      }
    } catch (err) {
      throw fsError(err, `renaming ${partial} to`, path);
    }
    let st: Stats;
    try {
      st = await stat(path);
    } catch (err) {
      throw fsError(err, 'checking', path);
    }
    entry.record = { ...entry.record, partial: undefined, complete: true, size: st.size, mtimeMs: st.mtimeMs };
    await this.#opts.data.put(entry.record);
    this.#opts.onFinished?.(entry.record.id, path);
  }

  #handle(entry: Entry): Promise<FileHandle> {
    if (entry.fh) return Promise.resolve(entry.fh);
    const path = entry.record.complete ? entry.record.path : entry.record.partial!;
    entry.opening ??= open(path, entry.record.complete ? 'r' : 'r+').then(
      (fh) => {
        entry.fh = fh;
        entry.opening = null;
        return fh;
      },
      (err) => {
        entry.opening = null;
        throw err;
      }
    );
    return entry.opening;
  }

  async #closeEntry(entry: Entry): Promise<void> {
    const fh = entry.fh ?? (await entry.opening?.catch(() => null)) ?? null;
    entry.fh = null;
    entry.opening = null;
    await fh?.close().catch(() => undefined);
  }

  #markStale(entry: Entry): void {
    if (entry.stale) return;
    entry.stale = true;
    void this.#closeEntry(entry);
    this.#opts.onStale?.(entry.record.id, entry.record.complete ? entry.record.path : entry.record.partial!);
  }
}

function newEntry(record: FileRecord, have: Bitfield): Entry {
  return { record, have, fh: null, opening: null, finishing: null, stale: false, trust: null };
}

/** Deletes a partial file. Gone already is fine; anything but a regular file there is not ours and stays. */
export async function removePartial(partial: string): Promise<void> {
  try {
    if ((await lstatOrNull(partial))?.isFile()) await rm(partial, { force: true });
  } catch (err) {
    throw fsError(err, 'deleting', partial);
  }
}

async function lstatOrNull(path: string): Promise<Stats | null> {
  try {
    return await lstat(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw fsError(err, 'checking', path);
  }
}
