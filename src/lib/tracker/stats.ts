/** Counters the tracker keeps since it started, shown by GET /api/stats. */
import type { TrackerErrorCode } from './errors.ts';

export interface StatsSnapshot {
  startedAt: number;
  connections: { total: number; current: number; badAuth: number; replaced: number; expired: number; abusive: number };
  events: Record<string, number>;
  rejected: Partial<Record<TrackerErrorCode, number>>;
  /** Entries of announces rejected one by one (inside an ok answer), per code. */
  rejectedFiles: Partial<Record<TrackerErrorCode, number>>;
  noAck: number;
  unknownEvents: number;
  signalsRelayed: number;
  announces: { requests: number; files: number; newFiles: number };
  /** Searches answered, by socket or REST. */
  searches: number;
  /**
   * Transfers: `completed` downloads (from reports and from leechers re-announcing as seeders,
   * counted once per peer: see Tracker.report), bytes reported up and down, and reports received.
   */
  transfers: { completed: number; bytesUp: number; bytesDown: number; reports: number };
}

/** The counters a history point takes differences of. */
export interface StatsCounters {
  announces: number;
  searches: number;
  signals: number;
  transfers: number;
  bytesUp: number;
  bytesDown: number;
}

export class Stats {
  readonly startedAt: number;
  connections = { total: 0, current: 0, badAuth: 0, replaced: 0, expired: 0, abusive: 0 };
  #events = new Map<string, number>();
  #rejected = new Map<TrackerErrorCode, number>();
  #rejectedFiles = new Map<TrackerErrorCode, number>();
  noAck = 0;
  unknownEvents = 0;
  signalsRelayed = 0;
  announces = { requests: 0, files: 0, newFiles: 0 };
  searches = 0;
  transfers = { completed: 0, bytesUp: 0, bytesDown: 0, reports: 0 };

  constructor(now: number) {
    this.startedAt = now;
  }

  event(name: string): void {
    this.#events.set(name, (this.#events.get(name) ?? 0) + 1);
  }

  rejected(code: TrackerErrorCode): void {
    this.#rejected.set(code, (this.#rejected.get(code) ?? 0) + 1);
  }

  rejectedFile(code: TrackerErrorCode): void {
    this.#rejectedFiles.set(code, (this.#rejectedFiles.get(code) ?? 0) + 1);
  }

  snapshot(): StatsSnapshot {
    return {
      startedAt: this.startedAt,
      connections: { ...this.connections },
      events: Object.fromEntries(this.#events),
      rejected: Object.fromEntries(this.#rejected),
      rejectedFiles: Object.fromEntries(this.#rejectedFiles),
      noAck: this.noAck,
      unknownEvents: this.unknownEvents,
      signalsRelayed: this.signalsRelayed,
      announces: { ...this.announces },
      searches: this.searches,
      transfers: { ...this.transfers }
    };
  }

  counters(): StatsCounters {
    return {
      announces: this.announces.requests,
      searches: this.searches,
      signals: this.signalsRelayed,
      transfers: this.transfers.completed,
      bytesUp: this.transfers.bytesUp,
      bytesDown: this.transfers.bytesDown
    };
  }
}

/** The counter fields of a history point: counts over its interval (summed across processes). */
export const COUNTER_KEYS = ['announces', 'searches', 'signals', 'transfers', 'bytesUp', 'bytesDown'] as const satisfies readonly (keyof StatsCounters)[];

/** The counters of every process of a network together (several processes on one Redis), for dashboards. */
export interface NetworkCounters extends StatsCounters {
  reports: number;
}

/** What happened between two readings of the counters (`before` undefined: since zero). */
export function countersSince(now: StatsCounters, before: StatsCounters | undefined): StatsCounters {
  const d = (k: keyof StatsCounters) => Math.max(0, now[k] - (before?.[k] ?? 0));
  return {
    announces: d('announces'),
    searches: d('searches'),
    signals: d('signals'),
    transfers: d('transfers'),
    bytesUp: d('bytesUp'),
    bytesDown: d('bytesDown')
  };
}
