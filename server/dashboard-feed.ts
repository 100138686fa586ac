/**
 * The live feed for dashboards (docs/TRACKER.md, "Dashboard feed"): the Socket.IO namespace
 * `/dashboard`, read-only and without authentication since it carries only public data. Each
 * client gets `stats` { overview } when it connects and every `intervalMs`, and
 * { overview, point } as soon as a statistics history point is written. The overview is computed
 * once per tick for all clients, and not at all while nobody watches.
 */
import type { Namespace, Server } from 'socket.io';
import type { Logger } from '../src/lib/log.ts';
import type { DashboardStatsEvent, StatsPoint } from '../src/lib/tracker/api.ts';
import type { Tracker } from '../src/lib/tracker/tracker.ts';

export const DASHBOARD_NAMESPACE = '/dashboard';

export interface DashboardFeedOptions {
  log: Logger;
  /** How often every dashboard gets a fresh overview. */
  intervalMs: number;
  /** Connections refused beyond this many (`connect_error` message `BUSY: …`). */
  maxClients: number;
}

export interface DashboardFeed {
  readonly namespace: Namespace;
  /**
   * Sends the new history point with a fresh overview to every dashboard of this process, or with
   * `everywhere` to those of every process sharing the adapter (one process records each point).
   */
  publishPoint(point: StatsPoint, opts?: { everywhere?: boolean }): void;
  /** Stops the timer and disconnects every dashboard. Idempotent. */
  close(): void;
}

export function attachDashboardFeed(io: Server, tracker: Tracker, opts: DashboardFeedOptions): DashboardFeed {
  const { log } = opts;
  const nsp = io.of(DASHBOARD_NAMESPACE);
  let closed = false;
  /** One overview computation at a time; a tick that finds one running is skipped. */
  let busy = false;

  const send = async (target: { emit(event: string, body: DashboardStatsEvent): unknown }, point?: StatsPoint): Promise<void> => {
    const overview = await tracker.overview();
    if (closed) return;
    target.emit('stats', point ? { overview, point } : { overview });
  };

  const broadcast = (point?: StatsPoint, everywhere = false): void => {
    if (closed || (nsp.sockets.size === 0 && !everywhere) || (busy && !point)) return;
    busy = true;
    // Ticks go to this process's dashboards only: with a shared adapter each process feeds its own.
    send(everywhere ? nsp : nsp.local, point)
      .catch((err: unknown) => {
        if (!closed) log.warn('could not send the dashboard overview', { err: String(err) });
      })
      .finally(() => {
        busy = false;
      });
  };

  nsp.use((_socket, next) => {
    if (closed) return next(new Error('SHUTDOWN: the tracker is stopping'));
    if (nsp.sockets.size >= opts.maxClients) return next(new Error('BUSY: too many dashboards are connected; try again later'));
    next();
  });

  nsp.on('connection', (socket) => {
    log.debug('dashboard connected', { id: socket.id });
    send(socket).catch((err: unknown) => {
      if (!closed) log.warn('could not send the dashboard overview', { err: String(err) });
    });
  });

  const timer = setInterval(() => broadcast(), opts.intervalMs);
  timer.unref();

  return {
    namespace: nsp,
    publishPoint(point, o) {
      broadcast(point, o?.everywhere ?? false);
    },
    close() {
      if (closed) return;
      closed = true;
      clearInterval(timer);
      nsp.local.disconnectSockets(true);
    }
  };
}
