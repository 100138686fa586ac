#!/usr/bin/env node
// Online backup of the tracker's index: `npm run backup -- [destination]`.
// Copies <SHOAL_DATA_DIR or ./data>/tracker.sqlite with SQLite's online backup API (through
// better-sqlite3), so it is safe while the tracker runs (WAL mode): the copy is one consistent
// snapshot. Destination default: <data dir>/backups/tracker-<UTC time>.sqlite. Prints the path.
import Database from 'better-sqlite3';
import { existsSync, mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

const dataDir = resolve(process.env.SHOAL_DATA_DIR?.trim() || './data');
const source = join(dataDir, 'tracker.sqlite');
if (!existsSync(source)) {
  process.stderr.write(`backup: no index at ${source} (set SHOAL_DATA_DIR to the tracker's data directory)\n`);
  process.exit(1);
}
const stamp = new Date().toISOString().replace(/[:.]/g, '-');
const destination = resolve(process.argv[2] ?? join(dataDir, 'backups', `tracker-${stamp}.sqlite`));
if (existsSync(destination)) {
  process.stderr.write(`backup: ${destination} exists; choose another destination\n`);
  process.exit(1);
}
mkdirSync(dirname(destination), { recursive: true });
const db = new Database(source, { readonly: true, fileMustExist: true });
try {
  await db.backup(destination);
  // One self-contained file: the copy leaves WAL mode (the tracker sets WAL again when it opens it).
  const copy = new Database(destination);
  copy.pragma('journal_mode = DELETE');
  const check = copy.pragma('integrity_check', { simple: true });
  copy.close();
  if (check !== 'ok') throw new Error(`integrity check of the copy: ${check}`);
  process.stdout.write(`${destination}\n`);
} catch (err) {
  process.stderr.write(`backup: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
} finally {
  db.close();
}
