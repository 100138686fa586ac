import { watch, type FSWatcher } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { Logger } from '../src/lib/log.ts';
import { WATCH_SCAN_MS } from './constants.ts';
import { walk } from './walk.ts';

/** A file must keep its size and mtime this long before it is shared (it may still be written). */
const STABLE_MS = 1_000;

export interface WatchHandlers {
  /** A new or changed file, stable for a while: share it. */
  ready(path: string): Promise<void>;
  /** A file that was there is gone. */
  removed(path: string): Promise<void>;
}

interface Seen {
  size: number;
  mtimeMs: number;
  /** When this size and mtime were first seen. */
  since: number;
  /** Handed to ready() in this state. */
  done: boolean;
}

/**
 * Watches a folder (recursively) for files added, changed or removed. Polls every
 * WATCH_SCAN_MS, and sooner when fs.watch reports something; a file is reported once its size
 * and mtime stayed the same for STABLE_MS, so half-written files are not hashed.
 */
export class FolderWatcher {
  readonly root: string;
  readonly #handlers: WatchHandlers;
  readonly #log: Logger;
  readonly #seen = new Map<string, Seen>();
  #timer: ReturnType<typeof setInterval> | null = null;
  #soon: ReturnType<typeof setTimeout> | null = null;
  #fsWatcher: FSWatcher | null = null;
  #scanning: Promise<void> | null = null;
  #again = false;
  #stopped = false;

  constructor(root: string, handlers: WatchHandlers, log: Logger) {
    this.root = root;
    this.#handlers = handlers;
    this.#log = log;
  }

  /** Starts watching; `known` are files already shared now (path → size and mtime). */
  start(known: Map<string, { size: number; mtimeMs: number }>): void {
    const now = Date.now();
    for (const [path, st] of known) this.#seen.set(path, { ...st, since: now, done: true });
    this.#timer = setInterval(() => void this.scan(), WATCH_SCAN_MS);
    try {
      this.#fsWatcher = watch(this.root, { recursive: true }, () => this.#scanSoon());
      this.#fsWatcher.on('error', () => undefined);
    } catch {
      // Polling alone still works.
    }
  }

  stop(): void {
    this.#stopped = true;
    if (this.#timer) clearInterval(this.#timer);
    if (this.#soon) clearTimeout(this.#soon);
    this.#fsWatcher?.close();
  }

  /** One pass over the folder; concurrent calls run one after the other. */
  async scan(): Promise<void> {
    if (this.#scanning) {
      this.#again = true;
      return this.#scanning;
    }
    this.#scanning = this.#scan().finally(() => {
      this.#scanning = null;
      if (this.#again && !this.#stopped) {
        this.#again = false;
        void this.scan();
      }
    });
    return this.#scanning;
  }

  #scanSoon(): void {
    if (this.#stopped || this.#soon) return;
    this.#soon = setTimeout(() => {
      this.#soon = null;
      void this.scan();
    }, 300);
  }

  async #scan(): Promise<void> {
    let files: string[];
    try {
      files = (await walk(this.root)).files;
    } catch (err) {
      this.#log.warn('cannot scan watched folder', { root: this.root, err });
      return;
    }
    const now = Date.now();
    const present = new Set(files);
    for (const path of files) {
      if (this.#stopped) return;
      const st = await stat(path).catch(() => null);
      if (!st) continue;
      const seen = this.#seen.get(path);
      if (!seen || seen.size !== st.size || seen.mtimeMs !== st.mtimeMs) {
        this.#seen.set(path, { size: st.size, mtimeMs: st.mtimeMs, since: now, done: false });
        this.#scanSoon();
        continue;
      }
      if (!seen.done && now - seen.since >= STABLE_MS) {
        seen.done = true;
        try {
          await this.#handlers.ready(path);
        } catch (err) {
          seen.done = false;
          this.#log.warn('cannot share a file from the watched folder', { path, err });
        }
      } else if (!seen.done) this.#scanSoon();
    }
    for (const [path, seen] of this.#seen) {
      if (present.has(path)) continue;
      this.#seen.delete(path);
      if (seen.done) await this.#handlers.removed(path).catch(() => undefined);
    }
  }
}
