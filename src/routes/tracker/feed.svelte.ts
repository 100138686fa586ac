/**
 * The dashboard pages' live connection to the tracker (docs/TRACKER.md, "Dashboard feed"):
 * GET /api/overview once, then the Socket.IO namespace /dashboard, which sends `stats`
 * { overview, point? } every few seconds. Read-only and without a peer token. Used by
 * /tracker and /tracker/stats.
 */
import { io, type Socket } from 'socket.io-client';
import type { DashboardStatsEvent, Overview, StatsPoint } from '$lib/tracker/api.ts';

export type FeedStatus = 'connecting' | 'live' | 'offline';

/** Reconnect after this long when the server closed the feed (socket.io-client does not by itself then). */
const RECONNECT_MS = 3_000;

export class DashboardFeed {
  overview = $state<Overview | null>(null);
  status = $state<FeedStatus>('connecting');
  error = $state('');
  #socket: Socket | undefined;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #stopped = false;
  #onPoint: ((point: StatsPoint) => void) | undefined;

  /** `onPoint` gets every new history point as it is written. */
  constructor(opts: { onPoint?: (point: StatsPoint) => void } = {}) {
    this.#onPoint = opts.onPoint;
  }

  start(): void {
    if (this.#socket || this.#stopped) return;
    fetch('/api/overview')
      .then(async (res) => {
        const body = await res.json();
        if (this.#stopped) return;
        if (!res.ok || !body.ok) throw new Error(body.message ?? `HTTP ${res.status}`);
        // The live feed may have answered first; keep the newer one.
        if (!this.overview || this.overview.time < body.time) this.overview = body as Overview;
      })
      .catch((err: unknown) => {
        if (!this.#stopped && !this.overview) this.error = `Could not load the overview: ${(err as Error).message}`;
      });
    const socket = io(`${location.origin}/dashboard`, { forceNew: true });
    this.#socket = socket;
    socket.on('connect', () => {
      this.status = 'live';
      this.error = '';
    });
    socket.on('stats', (e: DashboardStatsEvent) => {
      if (this.#stopped || !e || typeof e !== 'object' || !e.overview) return;
      this.overview = e.overview;
      if (e.point) this.#onPoint?.(e.point);
    });
    socket.on('connect_error', () => {
      this.status = 'offline';
    });
    socket.on('disconnect', (reason) => {
      this.status = 'offline';
      if (this.#stopped || reason !== 'io server disconnect') return;
      clearTimeout(this.#timer);
      this.#timer = setTimeout(() => {
        if (!this.#stopped) socket.connect();
      }, RECONNECT_MS);
    });
  }

  /** Idempotent. */
  stop(): void {
    this.#stopped = true;
    clearTimeout(this.#timer);
    this.#socket?.close();
    this.#socket = undefined;
  }
}
