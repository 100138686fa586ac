/**
 * Production entry: `npm run serve` (or `npm start`, which builds first). Serves the built
 * SvelteKit site and the tracker on one port. Environment: see env.ts. The site is the build
 * `build` points at when the process starts (site-build.ts): a later `npm run build` swaps the
 * link to a new build and this process keeps serving the one it started with until restarted.
 * `--no-site`: the tracker only (Socket.IO and REST), e.g. for extra tracker processes behind a
 * proxy that sends page requests elsewhere.
 */
import { relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createLogger } from '../src/lib/log.ts';
import { EnvError, readServerEnv } from './env.ts';
import { PgStoreError } from '../src/lib/server/tracker/pg-store.ts';
import { redactUrl } from '../src/lib/server/redact-url.ts';
import { RedisUnreachableError } from './redis-shared.ts';
import { startShoalServer } from './shoal-server.ts';
import { openSiteBuild, SiteBuildError, siteBuildPaths, type OpenSiteBuild } from './site-build.ts';

const log = createLogger('server');

const ROOT = resolve(fileURLToPath(new URL('..', import.meta.url)));

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const unknown = args.find((a) => a !== '--no-site');
  if (unknown !== undefined) throw new EnvError(`Unknown argument ${JSON.stringify(unknown)}; the only one is --no-site (configuration is by environment, see README).`);
  const env = readServerEnv(process.env);
  if (env.redis && !env.database) {
    log.info('the file index is in Redis, whose search reads every public name: for more than a few thousand files set DATABASE_URL (PostgreSQL), see docs/TRACKER.md');
  }
  const site: OpenSiteBuild | undefined = args.includes('--no-site') ? undefined : await openSiteBuild(siteBuildPaths(ROOT));
  if (site?.unmarked) {
    log.warn('cannot mark the build this process serves as in use; a build two builds from now would delete it under this process (restart after each build)', { err: site.unmarked.message });
  }
  const dataDir = resolve(env.dataDir);
  const server = await startShoalServer({
    port: env.port,
    host: env.host,
    dataDir,
    handler: site?.handler,
    iceServers: env.iceServers,
    turn: env.turn,
    iceTransportPolicy: env.iceTransportPolicy,
    expiryMs: env.expiryMs,
    heartbeatMs: env.heartbeatMs,
    indexRetentionMs: env.indexRetentionDays * 86_400_000,
    redis: env.redis,
    database: env.database,
    publicUrl: env.publicUrl,
    log
  });
  log.info(`Shoal is listening on ${server.url}`, {
    site: site ? relative(ROOT, site.dir) : 'none (--no-site)',
    ...(env.redis || env.database ? {} : { dataDir }),
    iceServers: env.iceServers.length,
    turn: env.turn ? env.turn.urls.join(',') : 'none',
    iceTransportPolicy: env.iceTransportPolicy,
    network: env.redis ? `shared through redis (prefix ${env.redis.prefix})` : 'this process only',
    index: env.database ? `postgresql ${redactUrl(env.database.url)}` : env.redis ? 'redis' : 'sqlite'
  });

  let stopping = false;
  const stop = (signal: NodeJS.Signals): void => {
    if (stopping) {
      log.warn(`${signal} again: exiting now`);
      process.exit(1);
    }
    stopping = true;
    log.info(`${signal}: stopping`);
    server.close().then(
      () => {
        site?.release();
        process.exit(0);
      },
      (err: unknown) => {
        log.error('stopping failed', { err: String(err) });
        process.exit(1);
      }
    );
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

/** A listen error said for people: which address, and what to change. */
function listenMessage(err: NodeJS.ErrnoException & { address?: string; port?: number }): string | undefined {
  const where = `${err.address ?? 'the address'}:${err.port ?? '?'}`;
  if (err.code === 'EADDRINUSE') return `Cannot listen on ${where}: another program uses that port. Stop it, or set PORT to another port.`;
  if (err.code === 'EACCES') return `Cannot listen on ${where}: not allowed (ports below 1024 need privileges). Set PORT to 1024 or above.`;
  if (err.code === 'EADDRNOTAVAIL') return `Cannot listen on ${where}: this machine has no such address. Set HOST to one of its addresses, or 0.0.0.0.`;
  return undefined;
}

main().catch((err: unknown) => {
  const listen = listenMessage(err as NodeJS.ErrnoException);
  if (err instanceof EnvError || err instanceof RedisUnreachableError || err instanceof PgStoreError || err instanceof SiteBuildError) log.error(err.message);
  else if (listen) log.error(listen);
  else log.error('could not start', { err: err instanceof Error ? (err.stack ?? err.message) : String(err) });
  process.exit(1);
});
