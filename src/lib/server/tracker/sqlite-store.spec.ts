import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { indexStoreContract } from './index-store.contract.ts';
import { parseSearchQuery } from '../../tracker/search-query.ts';
import { SqliteIndexStore } from './sqlite-store.ts';

const dir = mkdtempSync(join(tmpdir(), 'shoal-sqlite-spec-'));
let n = 0;
afterAll(() => rmSync(dir, { recursive: true, force: true }));

indexStoreContract(
  'sqlite',
  async () => new SqliteIndexStore(join(dir, `db-${n++}.sqlite`)),
  async (old) => new SqliteIndexStore((old as SqliteIndexStore).path)
);

describe('SqliteIndexStore', () => {
  it('uses WAL and refuses a database from a newer schema', async () => {
    const path = join(dir, 'newer.sqlite');
    const store = new SqliteIndexStore(path);
    await store.close();
    const Database = (await import('better-sqlite3')).default;
    const db = new Database(path);
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    db.pragma('user_version = 99');
    db.close();
    expect(() => new SqliteIndexStore(path)).toThrow(/schema version 99/);
  });
});

describe('SqliteIndexStore search through the trigram index', () => {
  it('matches words of any length literally, with the index and without, and ids by prefix', async () => {
    const store = new SqliteIndexStore(join(dir, 'fts.sqlite'));
    const names = ['Quarterly "Report" 2026.pdf', 'a b.txt', 'Über-Größe.mkv', 'report-draft.md', 'x%y_z.bin'];
    const ids = names.map((_, i) => String(i + 1).repeat(64).slice(0, 64));
    await store.recordAnnounces(
      names.map((name, i) => ({
        id: ids[i],
        visibility: 'public' as const,
        manifest: { version: 1, name, size: 1, mimeType: '', chunkSize: 16384, chunkHashes: ['0'.repeat(64)] }
      })),
      1000
    );
    const find = async (q: string) => (await store.search(parseSearchQuery(q), 10)).rows.map((r) => r.name).sort();
    expect(await find('report')).toEqual(['Quarterly "Report" 2026.pdf', 'report-draft.md']);
    expect(await find('"report"')).toEqual(['Quarterly "Report" 2026.pdf']);
    expect(await find('report md')).toEqual(['report-draft.md']); // a short word, matched with instr
    expect(await find('a b')).toEqual(['a b.txt']);
    expect(await find('größe')).toEqual(['Über-Größe.mkv']);
    expect(await find('%y_')).toEqual(['x%y_z.bin']);
    expect(await find('repor draft')).toEqual(['report-draft.md']);
    expect(await find('nothing')).toEqual([]);
    expect(await find('33333333')).toEqual([names[2]]);
    await store.close();
  });
});

describe('SqliteIndexStore migration', () => {
  it('opens a version 1 database (files only), keeps its files, adds the history table and indexes the old names', async () => {
    const path = join(dir, 'v1.sqlite');
    const Database = (await import('better-sqlite3')).default;
    const db = new Database(path);
    db.exec(`CREATE TABLE files (
      id TEXT PRIMARY KEY, name TEXT NOT NULL, name_lc TEXT NOT NULL, size INTEGER NOT NULL, mime TEXT NOT NULL,
      chunk_size INTEGER NOT NULL, chunks INTEGER NOT NULL, manifest TEXT NOT NULL,
      visibility TEXT NOT NULL CHECK (visibility IN ('public', 'unlisted')),
      first_seen INTEGER NOT NULL, last_seen INTEGER NOT NULL, announce_count INTEGER NOT NULL DEFAULT 0) STRICT`);
    db.prepare(`INSERT INTO files VALUES ('${'a'.repeat(64)}', 'old.txt', 'old.txt', 1, '', 16384, 1, '{}', 'public', 1, 1, 1)`).run();
    db.pragma('user_version = 1');
    db.close();
    const store = new SqliteIndexStore(path);
    expect(await store.countFiles()).toBe(1);
    expect(await store.statsHistory(0, 10)).toEqual([]);
    // The name from before version 3 is found through the new trigram index.
    expect((await store.search(parseSearchQuery('old.t'), 10)).rows.map((r) => r.name)).toEqual(['old.txt']);
    await store.close();
    const again = new Database(path);
    expect(again.pragma('user_version', { simple: true })).toBe(4);
    expect(again.prepare(`SELECT rowid FROM files_fts WHERE files_fts MATCH '"old.t"'`).all()).toHaveLength(1);
    again.close();
    // Version 4: a purged old file leaves the trigram index too (the delete trigger).
    const upgraded = new SqliteIndexStore(path);
    expect(await upgraded.purgeUnseen(2)).toBe(1);
    await upgraded.close();
    const last = new Database(path);
    expect(last.prepare(`SELECT rowid FROM files_fts WHERE files_fts MATCH '"old.t"'`).all()).toHaveLength(0);
    last.close();
  });
});
