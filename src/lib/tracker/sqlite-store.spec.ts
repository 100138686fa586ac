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
