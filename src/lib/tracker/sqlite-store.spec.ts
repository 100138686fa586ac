import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { indexStoreContract } from './index-store.contract.ts';
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

describe('SqliteIndexStore migration', () => {
  it('opens a version 1 database (files only), keeps its files and adds the history table', async () => {
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
    await store.close();
    const again = new Database(path);
    expect(again.pragma('user_version', { simple: true })).toBe(2);
    again.close();
  });
});
