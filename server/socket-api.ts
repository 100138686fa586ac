/**
 * The Socket.IO side of the tracker: checks the handshake, then turns every incoming event into
 * a validated request for Tracker and its result into an ack (docs/TRACKER.md). Never throws at
 * a client: garbage gets an error ack, a count in the stats, and in the end a disconnect.
 */
import type { Server, Socket } from 'socket.io';
import type { z } from 'zod';
import type { Logger } from '../src/lib/log.ts';
import { ABUSE_THRESHOLD, ABUSE_WINDOW_MS, MAX_ERROR_MESSAGE, RATE_LIMITS } from '../src/lib/tracker/constants.ts';
import { isTrackerErrorCode, TrackerError, type TrackerErrorCode } from '../src/lib/tracker/errors.ts';
import { TokenBucket } from '../src/lib/core/token-bucket.ts';
import { AbuseMeter } from '../src/lib/tracker/abuse-meter.ts';
import {
  announceSchema,
  authSchema,
  describeIssues,
  heartbeatSchema,
  helloSchema,
  manifestSchema,
  reportSchema,
  searchSchema,
  signalSchema,
  unannounceSchema,
  whohasSchema,
  type PeerKind
} from '../src/lib/tracker/schemas.ts';
import type { Tracker } from '../src/lib/tracker/tracker.ts';
import { derivePeerId } from './node-crypto.ts';

type BucketName = keyof typeof RATE_LIMITS;
type AckFn = (response: unknown) => void;

interface Connection {
  readonly peerId: string;
  readonly socket: Socket;
  readonly buckets: Record<BucketName, TokenBucket>;
  readonly abuse: AbuseMeter;
  /** Resolves to the presence session once the peer is registered; requests wait for it. */
  readonly ready: Promise<string>;
}

interface Route<S extends z.ZodType> {
  bucket: BucketName;
  schema: S;
  run(conn: Connection, req: z.output<S>): object | Promise<object>;
}

function route<S extends z.ZodType>(bucket: BucketName, schema: S, run: Route<S>['run']): Route<S> {
  return { bucket, schema, run };
}

/** Codes that count towards disconnecting a misbehaving connection. */
const STRIKE_CODES = new Set<TrackerErrorCode>(['BAD_REQUEST', 'RATE_LIMITED', 'FORBIDDEN']);

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** The Socket.IO room of one peer's socket: signals to the peer are emitted to it. */
export function peerRoom(peerId: string): string {
  return `peer:${peerId}`;
}

export interface SocketApi {
  /** Disconnects the socket of a peer (expired), without waiting. */
  drop(peerId: string): void;
  /** Disconnects every socket. Idempotent. */
  close(): void;
}

export function attachSocketApi(io: Server, tracker: Tracker, deps: { log: Logger; now?: () => number }): SocketApi {
  const { log } = deps;
  const now = deps.now ?? Date.now;
  const stats = tracker.stats;
  const sockets = new Map<string, Socket>();
  let closed = false;

  const routes = {
    hello: route('other', helloSchema, (c) => tracker.hello(c.peerId)),
    // The live processes of the network ride along, so clients learn of processes started later.
    heartbeat: route('other', heartbeatSchema, () => {
      const trackers = tracker.trackerUrls();
      return trackers.length ? { trackers } : {};
    }),
    announce: route('announce', announceSchema, (c, req) => tracker.announce(c.peerId, req)),
    unannounce: route('other', unannounceSchema, (c, req) => tracker.unannounce(c.peerId, req)),
    whohas: route('other', whohasSchema, (c, req) => tracker.whohas(c.peerId, req.id)),
    manifest: route('other', manifestSchema, (_c, req) => tracker.manifest(req.id)),
    search: route('search', searchSchema, (_c, req) => tracker.search(req)),
    report: route('other', reportSchema, (c, req) => tracker.report(c.peerId, req)),
    signal: route('signal', signalSchema, async (c, req) => {
      await tracker.authorizeSignal(c.peerId, req.to);
      // To the target's own room rather than a socket found here, so that a shared Socket.IO
      // adapter (several tracker processes) can carry it to a socket on another process.
      io.to(peerRoom(req.to)).emit('signal', { from: c.peerId, data: req.data });
      return {};
    })
  } satisfies Record<string, Route<z.ZodType>>;
  type RouteName = keyof typeof routes;
  const isRoute = (event: unknown): event is RouteName => typeof event === 'string' && Object.hasOwn(routes, event);

  /** Tells a client why the server closes its connection (docs/TRACKER.md, `bye`), then closes it. */
  const bye = (socket: Socket, code: 'ABUSE' | 'REPLACED' | 'EXPIRED' | 'SHUTDOWN', message: string): void => {
    socket.emit('bye', { code, message });
    socket.disconnect(true);
  };

  const strike = (conn: Connection): void => {
    if (!conn.abuse.strike(now()) || !conn.socket.connected) return;
    stats.connections.abusive++;
    log.warn('disconnecting a connection that keeps sending rejected messages', { peerId: conn.peerId });
    bye(conn.socket, 'ABUSE', 'Too many rejected messages.');
  };

  const reply = (ack: AckFn, response: object): void => {
    try {
      ack(response);
    } catch (err) {
      log.debug('ack failed', { err });
    }
  };

  const fail = (conn: Connection, ack: AckFn, code: TrackerErrorCode, message: string): void => {
    stats.rejected(code);
    reply(ack, { ok: false, code, message: message.slice(0, MAX_ERROR_MESSAGE) });
    if (STRIKE_CODES.has(code)) strike(conn);
  };

  const handle = async (conn: Connection, event: unknown, args: unknown[]): Promise<void> => {
    if (!(await conn.ready.then(() => true, () => false))) return; // the socket is being closed
    void tracker.touch(conn.peerId).then((known) => {
      if (known || sockets.get(conn.peerId) !== conn.socket || !conn.socket.connected) return;
      log.warn('a connected peer is no longer registered: asking it to reconnect', { peerId: conn.peerId });
      sockets.delete(conn.peerId);
      bye(conn.socket, 'EXPIRED', 'The tracker lost this registration; reconnect and announce again.');
      void conn.ready.then((session) => tracker.disconnect(conn.peerId, session)).catch(() => undefined);
    });
    const known = isRoute(event);
    if (known) stats.event(event);
    else stats.unknownEvents++;
    const last = args[args.length - 1];
    if (typeof last !== 'function') {
      stats.noAck++;
      strike(conn);
      return;
    }
    const ack = last as AckFn;
    const bucket = known ? routes[event].bucket : 'other';
    if (!conn.buckets[bucket].tryTake()) return fail(conn, ack, 'RATE_LIMITED', `Too many ${bucket} messages; slow down.`);
    if (!known) return fail(conn, ack, 'BAD_REQUEST', 'Unknown event.');
    if (args.length !== 2 || !isPlainObject(args[0])) {
      return fail(conn, ack, 'BAD_REQUEST', 'Expected one payload object and an ack function.');
    }
    const r: Route<z.ZodType> = routes[event];
    const parsed = r.schema.safeParse(args[0]);
    if (!parsed.success) return fail(conn, ack, 'BAD_REQUEST', describeIssues(parsed.error));
    try {
      const result = await r.run(conn, parsed.data);
      reply(ack, { ok: true, ...result });
    } catch (err) {
      if (err instanceof TrackerError && isTrackerErrorCode(err.code)) return fail(conn, ack, err.code, err.message);
      log.error('request failed', { event, err: err instanceof Error ? (err.stack ?? err.message) : String(err) });
      fail(conn, ack, 'INTERNAL', 'The tracker failed to handle this request.');
    }
  };

  io.use((socket, next) => {
    const parsed = authSchema.safeParse(socket.handshake.auth);
    if (!parsed.success) {
      stats.connections.badAuth++;
      next(new Error(`BAD_AUTH: ${describeIssues(parsed.error)}`));
      return;
    }
    socket.data.peerId = derivePeerId(parsed.data.token);
    socket.data.kind = parsed.data.kind;
    next();
  });

  io.on('connection', (socket) => {
    if (closed) {
      socket.disconnect(true);
      return;
    }
    const peerId = socket.data.peerId as string;
    const kind = socket.data.kind as PeerKind;
    const old = sockets.get(peerId);
    if (old) {
      sockets.delete(peerId);
      stats.connections.replaced++;
      log.debug('same peer connected again: closing the older socket', { peerId });
      bye(old, 'REPLACED', 'The same peer connected again elsewhere.');
    }
    // The same peer may still hold a socket on another tracker process (shared adapter): close it
    // too. A shared adapter may apply this after the new socket joined the room, hence `except`.
    const older = io.to(peerRoom(peerId)).except(socket.id);
    older.emit('bye', { code: 'REPLACED', message: 'The same peer connected again elsewhere.' });
    older.disconnectSockets(true);
    sockets.set(peerId, socket);
    void socket.join(peerRoom(peerId));
    const ready = tracker.connect(peerId, kind);
    // A failed registration (presence store down) closes the socket: the client reconnects and tries again.
    ready.catch((err: unknown) => {
      log.error('could not register a peer', { peerId, err: err instanceof Error ? err.message : String(err) });
      if (socket.connected) bye(socket, 'SHUTDOWN', 'The tracker could not register this connection; try again.');
    });
    stats.connections.total++;
    stats.connections.current++;
    const t = now();
    const bucket = (name: BucketName) => new TokenBucket({ rate: RATE_LIMITS[name].perSecond, burst: RATE_LIMITS[name].burst, now });
    const conn: Connection = {
      peerId,
      socket,
      ready,
      abuse: new AbuseMeter(ABUSE_THRESHOLD, ABUSE_WINDOW_MS, t),
      buckets: {
        announce: bucket('announce'),
        search: bucket('search'),
        signal: bucket('signal'),
        other: bucket('other')
      }
    };
    socket.onAny((event: unknown, ...args: unknown[]) => {
      handle(conn, event, args).catch((err: unknown) => log.error('handler crashed', { err: String(err) }));
    });
    socket.on('disconnect', (reason) => {
      stats.connections.current--;
      log.debug('disconnected', { peerId, reason });
      if (sockets.get(peerId) !== socket) return;
      sockets.delete(peerId);
      ready
        .then((session) => tracker.disconnect(peerId, session))
        .catch((err: unknown) => log.warn('could not unregister a peer', { peerId, err: err instanceof Error ? err.message : String(err) }));
    });
    log.debug('connected', { peerId, kind });
  });

  return {
    drop(peerId) {
      const message = 'No heartbeat within the expiry time.';
      const socket = sockets.get(peerId);
      if (socket) {
        sockets.delete(peerId);
        bye(socket, 'EXPIRED', message);
        return;
      }
      // Maybe on another process (shared adapter); with the in-memory adapter this reaches nobody.
      io.to(peerRoom(peerId)).emit('bye', { code: 'EXPIRED', message });
      io.in(peerRoom(peerId)).disconnectSockets(true);
    },
    close() {
      if (closed) return;
      closed = true;
      for (const socket of [...sockets.values()]) bye(socket, 'SHUTDOWN', 'The tracker is shutting down.');
      sockets.clear();
    }
  };
}
