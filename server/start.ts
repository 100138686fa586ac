/**
 * Production entry: `npm run serve` (or `npm start`, which builds first). Serves the built
 * SvelteKit site (build/handler.js) and the tracker on one port. Environment: see env.ts.
 * `--no-site`: the tracker only (Socket.IO and REST), e.g. for extra tracker processes behind a
 * proxy that sends page requests elsewhere.
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createLogger } from '../src/lib/log.ts';
import { EnvError, readServerEnv } from './env.ts';
import { RedisUnreachableError } from './redis-shared.ts';
import { startShoalServer, type RequestHandler } from './shoal-server.ts';

const log = createLogger('server');

async function loadHandler(): Promise<RequestHandler> {
  const url = new URL('../build/handler.js', import.meta.url);
  if (!existsSync(fileURLToPath(url))) {
    throw new EnvError(`The site is not built (${fileURLToPath(url)} is missing). Run \`npm run build\` first, or \`npm start\` to build and serve.`);
  }
  const mod = (await import(url.href)) as { handler?: RequestHandler };
  if (typeof mod.handler !== 'function') throw new EnvError(`${fileURLToPath(url)} does not export a handler: rebuild with adapter-node.`);
  return mod.handler;
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const unknown = args.find((a) => a !== '--no-site');
  if (unknown !== undefined) throw new EnvError(`Unknown argument ${JSON.stringify(unknown)}; the only one is --no-site (configuration is by environment, see README).`);
  const env = readServerEnv(process.env);
  if (process.env.DATABASE_URL && !env.redis) {
    log.warn('DATABASE_URL is not used: several tracker processes share their index and presence through Redis (REDIS_URL); this one uses SQLite.');
  }
  const handler = args.includes('--no-site') ? undefined : await loadHandler();
  const dataDir = resolve(env.dataDir);
  const server = await startShoalServer({
    port: env.port,
    host: env.host,
    dataDir,
    handler,
    iceServers: env.iceServers,
    turn: env.turn,
    iceTransportPolicy: env.iceTransportPolicy,
    expiryMs: env.expiryMs,
    heartbeatMs: env.heartbeatMs,
    redis: env.redis,
    publicUrl: env.publicUrl,
    log
  });
  log.info(`Shoal is listening on ${server.url}`, {
    ...(env.redis ? {} : { dataDir }),
    iceServers: env.iceServers.length,
    turn: env.turn ? env.turn.urls.join(',') : 'none',
    iceTransportPolicy: env.iceTransportPolicy,
    network: env.redis ? `shared through redis (prefix ${env.redis.prefix})` : 'this process only (sqlite index)'
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
      () => process.exit(0),
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
  if (err instanceof EnvError || err instanceof RedisUnreachableError) log.error(err.message);
  else if (listen) log.error(listen);
  else log.error('could not start', { err: err instanceof Error ? (err.stack ?? err.message) : String(err) });
  process.exit(1);
});
