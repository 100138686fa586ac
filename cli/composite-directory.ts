import type { Logger } from '../src/lib/log.ts';
import type { AnnounceEntry, Directory, RemotePeer } from '../src/lib/peer/ports.ts';

export interface NamedDirectory {
  name: string;
  directory: Directory;
}

/**
 * Several directories as one (the tracker and LAN discovery): announcements go to all, who-has
 * merges every answer, a manifest comes from the first that has it. One directory failing (the
 * tracker offline, an id the tracker does not know) never hides what another found.
 */
export class CompositeDirectory implements Directory {
  readonly #parts: NamedDirectory[];
  readonly #log: Logger;

  constructor(parts: NamedDirectory[], log: Logger) {
    this.#parts = parts;
    this.#log = log;
  }

  get names(): string[] {
    return this.#parts.map((p) => p.name);
  }

  /** Never throws: a directory that is offline now gets everything again when it reconnects. */
  async announce(files: AnnounceEntry[]): Promise<void> {
    await this.#all('announce', (d) => d.announce(files));
  }

  async unannounce(ids: string[]): Promise<void> {
    await this.#all('unannounce', (d) => d.unannounce(ids));
  }

  async whoHas(id: string): Promise<RemotePeer[]> {
    const results = await Promise.allSettled(this.#parts.map((p) => p.directory.whoHas(id)));
    const merged = new Map<string, RemotePeer>();
    let ok = 0;
    for (const r of results) {
      if (r.status !== 'fulfilled') continue;
      ok++;
      for (const p of r.value) {
        const known = merged.get(p.peerId);
        if (!known || p.have > known.have) merged.set(p.peerId, { ...p, kind: known?.kind === 'node' ? 'node' : p.kind });
      }
    }
    if (ok === 0 && results.length > 0) throw (results[0] as PromiseRejectedResult).reason;
    return [...merged.values()];
  }

  async manifest(id: string): Promise<unknown> {
    let first: unknown = null;
    for (const p of this.#parts) {
      try {
        return await p.directory.manifest(id);
      } catch (err) {
        first ??= err;
        this.#log.debug('no manifest from directory', { directory: p.name, err });
      }
    }
    throw first ?? Object.assign(new Error('No directory to ask for this file.'), { code: 'NOT_FOUND' });
  }

  async #all(what: string, fn: (d: Directory) => Promise<void>): Promise<void> {
    const results = await Promise.allSettled(this.#parts.map((p) => fn(p.directory)));
    results.forEach((r, i) => {
      if (r.status === 'rejected') this.#log.debug(`${what} failed`, { directory: this.#parts[i].name, err: r.reason });
    });
  }
}
