/**
 * The read-only REST API (docs/TRACKER.md, "REST"): JSON under /api, served before the site's
 * handler. Requests for other paths go to `next`.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { z } from 'zod';
import type { Logger } from '../src/lib/log.ts';
import { isContentId } from '../src/lib/core/manifest.ts';
import { HTTP_STATUS, isTrackerErrorCode, TrackerError } from '../src/lib/tracker/errors.ts';
import { filesQuerySchema, historyQuerySchema, peersQuerySchema } from '../src/lib/tracker/rest-schemas.ts';
import { describeIssues } from '../src/lib/tracker/schemas.ts';
import type { Tracker } from '../src/lib/tracker/tracker.ts';
import { METRICS_CONTENT_TYPE, renderMetrics } from './metrics.ts';

export type Next = (err?: unknown) => void;
export type RestHandler = (req: IncomingMessage, res: ServerResponse, next: Next) => void;

/** The Socket.IO adapter as health and metrics show it: 'memory' (one process) or a shared one. */
export interface AdapterState {
  kind: string;
  up: boolean;
}

export interface RestDeps {
  log: Logger;
  /** Default: Socket.IO's in-memory adapter, always up. */
  adapter?: () => AdapterState;
}

type Query = Record<string, string>;

/** Longest request target the API looks at; anything longer is a 400 (the longest real one is < 300). */
const MAX_URL_LENGTH = 2048;

function send(req: IncomingMessage, res: ServerResponse, status: number, body: object): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
    'cache-control': 'no-store',
    'access-control-allow-origin': '*',
    'x-content-type-options': 'nosniff'
  });
  res.end(req.method === 'HEAD' ? undefined : text);
}

function badRequest(message: string): TrackerError {
  return new TrackerError('BAD_REQUEST', message);
}

function parseQuery<S extends z.ZodType>(schema: S, query: Query): z.output<S> {
  const parsed = schema.safeParse(query);
  if (!parsed.success) throw badRequest(describeIssues(parsed.error));
  return parsed.data;
}

export function createRestHandler(tracker: Tracker, deps: RestDeps): RestHandler {
  const { log } = deps;
  const adapter = deps.adapter ?? (() => ({ kind: 'memory', up: true }));

  /** GET /metrics: Prometheus text format (server/metrics.ts). */
  const metrics = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const { stats, indexed, presenceUp } = await tracker.metrics();
    const a = adapter();
    const text = renderMetrics({ stats, files: indexed, store: tracker.storeKind, presence: tracker.presence.kind, presenceUp, adapter: a.kind, adapterUp: a.up });
    res.writeHead(200, { 'content-type': METRICS_CONTENT_TYPE, 'content-length': Buffer.byteLength(text), 'cache-control': 'no-store' });
    res.end(req.method === 'HEAD' ? undefined : text);
  };

  /** Resolves to the body for a known route, or undefined if the path is not the API's. */
  const route = async (path: string, query: Query): Promise<object | undefined> => {
    if (path === '/api/health') {
      const h = await tracker.health();
      const a = adapter();
      const ok = h.storeState === 'ok' && h.presenceState === 'ok' && a.up;
      const body = { ok, ...h, adapter: a.kind, adapterState: a.up ? 'ok' : 'down' };
      if (!ok) throw new HealthError(body);
      return body;
    }
    if (path === '/api/stats') return { ok: true, ...(await tracker.statistics()) };
    if (path === '/api/stats/history') {
      const { minutes } = parseQuery(historyQuerySchema, query);
      return { ok: true, points: await tracker.history(minutes) };
    }
    if (path === '/api/overview') return { ok: true, ...(await tracker.overview()) };
    if (path === '/api/files') {
      const { q, limit, offset } = parseQuery(filesQuerySchema, query);
      return { ok: true, ...(await tracker.search({ q, limit, offset })) };
    }
    if (path.startsWith('/api/files/')) {
      let id: string;
      try {
        id = decodeURIComponent(path.slice('/api/files/'.length));
      } catch {
        throw badRequest('Bad percent-encoding in the id.');
      }
      if (!isContentId(id)) throw badRequest('A file id is 64 lowercase hex characters.');
      return { ok: true, file: await tracker.fileInfo(id) };
    }
    if (path === '/api/peers') {
      const { limit, offset } = parseQuery(peersQuerySchema, query);
      return { ok: true, ...(await tracker.peers(limit, offset)) };
    }
    return undefined;
  };

  return (req, res, next) => {
    const raw = req.url ?? '/';
    if ((raw === '/metrics' || raw.startsWith('/metrics?')) && (req.method === 'GET' || req.method === 'HEAD')) {
      metrics(req, res).catch((err: unknown) => {
        log.error('metrics failed', { err: err instanceof Error ? (err.stack ?? err.message) : String(err) });
        if (!res.headersSent) send(req, res, 500, { ok: false, code: 'INTERNAL', message: 'The tracker failed to handle this request.' });
      });
      return;
    }
    if (!raw.startsWith('/api/')) return next();
    let path: string;
    let query: Query;
    try {
      if (raw.length > MAX_URL_LENGTH) throw badRequest('The URL is too long.');
      const url = new URL(raw, 'http://localhost');
      path = url.pathname.length > 1 ? url.pathname.replace(/\/$/, '') : url.pathname;
      query = Object.fromEntries(url.searchParams);
    } catch (err) {
      const message = err instanceof TrackerError ? err.message : 'Bad URL.';
      return send(req, res, 400, { ok: false, code: 'BAD_REQUEST', message });
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      if (!isApiPath(path)) return next();
      res.setHeader('allow', 'GET, HEAD');
      return send(req, res, 405, { ok: false, code: 'BAD_REQUEST', message: 'This API is read-only: use GET.' });
    }
    route(path, query)
      .then((body) => (body ? send(req, res, 200, body) : next()))
      .catch((err: unknown) => {
        if (err instanceof HealthError) return send(req, res, 503, err.body);
        if (err instanceof TrackerError && isTrackerErrorCode(err.code)) {
          return send(req, res, HTTP_STATUS[err.code], { ok: false, code: err.code, message: err.message });
        }
        log.error('REST request failed', { path, err: err instanceof Error ? (err.stack ?? err.message) : String(err) });
        send(req, res, 500, { ok: false, code: 'INTERNAL', message: 'The tracker failed to handle this request.' });
      });
  };
}

/** An unhealthy /api/health answer: sent with status 503 so load balancers and monitors see it. */
class HealthError extends Error {
  readonly code = 'UNHEALTHY';
  constructor(readonly body: object) {
    super('unhealthy');
  }
}

function isApiPath(path: string): boolean {
  return (
    ['/api/health', '/api/stats', '/api/stats/history', '/api/overview', '/api/files', '/api/peers'].includes(path) ||
    path.startsWith('/api/files/')
  );
}
