/**
 * The Shoal server: one HTTP server on one port serving the REST API, then the site
 * (SvelteKit adapter-node's `handler`, if given), with the Socket.IO tracker attached.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createLogger } from '../src/lib/log.ts';
import { createTrackerHost, type TrackerHost, type TrackerHostOptions } from './tracker-host.ts';
import type { Next } from './rest-api.ts';

export type RequestHandler = (req: IncomingMessage, res: ServerResponse, next: Next) => void;

export interface ShoalServerOptions extends Omit<TrackerHostOptions, 'destroyUpgrade'> {
  /** Default 0: any free port (server/start.ts passes PORT, default 8470). */
  port?: number;
  /** Default '127.0.0.1' (server/start.ts passes HOST, default 0.0.0.0). */
  host?: string;
  /** The site, e.g. SvelteKit adapter-node's `handler`; without one, other paths get 404. */
  handler?: RequestHandler;
}

export interface ShoalServer {
  /** http://host:port, with the loopback address when listening on every interface. */
  readonly url: string;
  readonly port: number;
  readonly tracker: TrackerHost['tracker'];
  /** Closes sockets, timers, the database and the HTTP server. Idempotent. */
  close(): Promise<void>;
}

function urlFor(host: string, port: number): string {
  const name = host === '0.0.0.0' || host === '' ? '127.0.0.1' : host === '::' ? '[::1]' : host.includes(':') ? `[${host}]` : host;
  return `http://${name}:${port}`;
}

function sendPlain(res: ServerResponse, status: number, text: string): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

export async function startShoalServer(opts: ShoalServerOptions): Promise<ShoalServer> {
  const log = opts.log ?? createLogger('server');
  const hostName = opts.host ?? '127.0.0.1';
  let host: TrackerHost | undefined;

  const onError = (res: ServerResponse) => (err?: unknown) => {
    if (err === undefined) return sendPlain(res, 404, 'Not found');
    log.error('request failed', { err: err instanceof Error ? (err.stack ?? err.message) : String(err) });
    sendPlain(res, 500, 'Internal error');
  };
  // Registered before Socket.IO attaches, so Socket.IO takes its own path first and passes the rest here.
  const http = createServer((req, res) => {
    if (!host) return sendPlain(res, 503, 'Starting');
    host.rest(req, res, (err) => {
      if (err !== undefined || !opts.handler) return onError(res)(err);
      // The site's static files are streamed from disk (sirv pipes a read stream into the
      // response) with no error listener: a file gone since startup (the site rebuilt under a
      // running server) would crash the process. Catch it on the stream piped in.
      res.on('pipe', (src: NodeJS.ReadableStream) => {
        src.once('error', (e: NodeJS.ErrnoException) => {
          log.warn('a file of the site could not be read', { url: req.url, err: e.code ?? e.message });
          if (res.headersSent) res.destroy();
          else sendPlain(res, e.code === 'ENOENT' ? 404 : 500, e.code === 'ENOENT' ? 'Not found' : 'Internal error');
        });
      });
      try {
        opts.handler(req, res, onError(res));
      } catch (e) {
        onError(res)(e);
      }
    });
  });
  host = createTrackerHost(http, { ...opts, log });
  const trackerHost = host;

  try {
    await trackerHost.ready();
    await new Promise<void>((resolve, reject) => {
      http.once('error', reject);
      http.listen(opts.port ?? 0, hostName, () => {
        http.off('error', reject);
        resolve();
      });
    });
  } catch (err) {
    await trackerHost.close();
    throw err;
  }
  http.on('error', (err) => log.error('http server error', { err: err.message }));
  const port = (http.address() as AddressInfo).port;

  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closing ??= (async () => {
      await trackerHost.close();
      await new Promise<void>((resolve) => {
        http.close(() => resolve());
        http.closeAllConnections();
      });
    })();
    return closing;
  };
  return { url: urlFor(hostName, port), port, tracker: trackerHost.tracker, close };
}
