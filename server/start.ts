/**
 * Production entry: `npm run serve` (or `npm start`, which builds first). Serves the built
 * SvelteKit site (build/handler.js) and the tracker on one port. Environment: see env.ts.
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createLogger } from '../src/lib/log.ts';
import { EnvError, readServerEnv } from './env.ts';
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
  const env = readServerEnv(process.env);
  const handler = await loadHandler();
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
    log
  });
  log.info(`Shoal is listening on ${server.url}`, {
    dataDir,
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

main().catch((err: unknown) => {
  if (err instanceof EnvError) log.error(err.message);
  else log.error('could not start', { err: err instanceof Error ? (err.stack ?? err.message) : String(err) });
  process.exit(1);
});
