/**
 * Vite plugin: attaches the tracker (Socket.IO + REST) to Vite's own HTTP server in `vite dev`
 * and `vite preview`, so development uses one port as production does. Data dir: the option,
 * else env SHOAL_DATA_DIR, else ./data. vite.config.ts: `plugins: [shoalTracker(), sveltekit()]`.
 */
import type { Server as HttpServer } from 'node:http';
import { resolve } from 'node:path';
import type { Connect, Plugin } from 'vite';
import { createLogger, type Logger } from '../src/lib/log.ts';
import { readServerEnv } from './env.ts';
import { createTrackerHost, type TrackerHostOptions } from './tracker-host.ts';

export type ShoalTrackerPluginOptions = Partial<Omit<TrackerHostOptions, 'destroyUpgrade' | 'store'>>;

export function shoalTracker(opts: ShoalTrackerPluginOptions = {}): Plugin {
  const attach = (httpServer: HttpServer | null, middlewares: Connect.Server, what: string): void => {
    const log: Logger = opts.log ?? createLogger('tracker');
    if (!httpServer) {
      log.warn(`${what} runs without its own HTTP server (middleware mode): the tracker is not attached`);
      return;
    }
    const env = readServerEnv(process.env);
    const host = createTrackerHost(httpServer as HttpServer, {
      iceServers: env.iceServers,
      turn: env.turn,
      iceTransportPolicy: env.iceTransportPolicy,
      expiryMs: env.expiryMs,
      heartbeatMs: env.heartbeatMs,
      redis: env.redis,
      database: env.database,
      indexRetentionMs: env.indexRetentionDays * 86_400_000,
      publicUrl: env.publicUrl,
      ...opts,
      dataDir: resolve(opts.dataDir ?? env.dataDir),
      log,
      // Vite's HMR WebSocket shares this server: leave upgrades that are not Socket.IO's alone.
      destroyUpgrade: false
    });
    host.ready().catch((err: unknown) => log.error(err instanceof Error ? err.message : String(err)));
    middlewares.use((req, res, next) => host.rest(req, res, next));
    httpServer.once('close', () => {
      host.close().catch((err: unknown) => log.error('closing the tracker failed', { err: String(err) }));
    });
    log.info(`tracker attached to the ${what} server`, { dataDir: resolve(opts.dataDir ?? env.dataDir) });
  };
  return {
    name: 'shoal-tracker',
    configureServer(server) {
      attach(server.httpServer as HttpServer | null, server.middlewares, 'vite dev');
    },
    configurePreviewServer(server) {
      attach(server.httpServer as HttpServer | null, server.middlewares, 'vite preview');
    }
  };
}
