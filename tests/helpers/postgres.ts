/**
 * Test helper: a PostgreSQL cluster of its own (Debian's `postgresql` binaries), made by initdb in
 * a temporary directory and served on 127.0.0.1 at a free port, its unix socket in that directory
 * too, so that it never meets a cluster the package may have started on 5432. One cluster serves
 * a whole test file; tests keep apart by database (`createDatabase()`). A missing PostgreSQL is a
 * clear failure (`.ci/run` installs it), never a skipped suite. `stop()` ends it by its PID and
 * removes the directory.
 *
 * PostgreSQL refuses to run as root: when the tests run as root, initdb and postgres run as the
 * `postgres` user (setpriv execs in place, so the PID is the postmaster's), and the directory is
 * given to that user.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chown, mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { freeTcpPort } from './redis.ts';
import { startService } from './service.ts';

const run = promisify(execFile);

/** The superuser initdb creates; trust authentication on loopback, so no password. */
const SUPERUSER = 'shoal';

export interface TestPostgres {
  readonly port: number;
  /** `postgres://shoal@127.0.0.1:<port>/postgres`. */
  readonly url: string;
  /** A URL of `database` on this cluster. */
  urlOf(database: string): string;
  /** Creates an empty database with a name no other test uses and resolves to its URL. */
  createDatabase(): Promise<string>;
  /** Everything the server logged so far. */
  log(): string;
  stop(): Promise<void>;
}

/** PG_BIN_DIR, or the newest /usr/lib/postgresql/<version>/bin (Debian's layout). */
async function binDir(): Promise<string> {
  if (process.env.PG_BIN_DIR) return process.env.PG_BIN_DIR;
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root) ? (await readdir(root)).filter((v) => /^\d+$/.test(v)).sort((a, b) => Number(b) - Number(a)) : [];
  const dir = versions.map((v) => join(root, v, 'bin')).find((d) => existsSync(join(d, 'postgres')));
  if (!dir) {
    throw new Error(`PostgreSQL is not installed (no ${root}/<version>/bin/postgres): run \`apt-get install -y postgresql\` (.ci/run does) or set PG_BIN_DIR.`);
  }
  return dir;
}

/** The command and arguments that run `bin` as a user PostgreSQL accepts. */
async function asPostgresUser(bin: string, args: string[]): Promise<{ command: string; args: string[]; ids?: { uid: number; gid: number } }> {
  if (process.getuid?.() !== 0) return { command: bin, args };
  const [{ stdout: uid }, { stdout: gid }] = await Promise.all([run('id', ['-u', 'postgres']), run('id', ['-g', 'postgres'])]);
  return {
    command: 'setpriv',
    args: ['--reuid=postgres', '--regid=postgres', '--init-groups', '--', bin, ...args],
    ids: { uid: Number(uid.trim()), gid: Number(gid.trim()) }
  };
}

export async function startPostgres(opts: { timeoutMs?: number } = {}): Promise<TestPostgres> {
  const bin = await binDir();
  const dir = await mkdtemp(join(tmpdir(), 'shoal-pg-'));
  const data = join(dir, 'data');
  const socketDir = join(dir, 'sock');
  try {
    await mkdir(socketDir);
    const init = await asPostgresUser(join(bin, 'initdb'), ['-D', data, '-U', SUPERUSER, '--auth=trust', '-E', 'UTF8', '--locale=C', '--no-sync']);
    if (init.ids) {
      await chown(dir, init.ids.uid, init.ids.gid);
      await chown(socketDir, init.ids.uid, init.ids.gid);
    }
    await run(init.command, init.args, { cwd: dir, env: { ...process.env, LC_ALL: 'C' } }).catch((err: { stderr?: string; message: string }) => {
      throw new Error(`initdb failed: ${err.stderr || err.message}`);
    });
  } catch (err) {
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
  const port = await freeTcpPort();
  // No durability needed: fsync off and no full-page writes keep a loaded machine quick.
  const server = await asPostgresUser(join(bin, 'postgres'), [
    '-D', data, '-p', String(port), '-h', '127.0.0.1', '-k', socketDir,
    '-c', 'fsync=off', '-c', 'full_page_writes=off', '-c', 'synchronous_commit=off', '-c', 'max_connections=200'
  ]);
  const service = await startService({
    name: `postgres on port ${port}`,
    command: server.command,
    args: server.args,
    cwd: dir,
    env: { ...process.env, LC_ALL: 'C' },
    dir,
    ready: /database system is ready to accept connections/,
    timeoutMs: opts.timeoutMs ?? 30_000,
    // Fast shutdown: rolls back open transactions and closes connections.
    stopSignal: 'SIGINT'
  });
  const urlOf = (database: string) => `postgres://${SUPERUSER}@127.0.0.1:${port}/${database}`;
  const url = urlOf('postgres');
  return {
    port,
    url,
    urlOf,
    async createDatabase() {
      const name = `t_${randomBytes(6).toString('hex')}`;
      const admin = new pg.Client({ connectionString: url });
      await admin.connect();
      try {
        await admin.query(`CREATE DATABASE ${name}`);
      } finally {
        await admin.end();
      }
      return urlOf(name);
    },
    log: service.log,
    stop: service.stop
  };
}
