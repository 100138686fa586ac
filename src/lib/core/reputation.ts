/**
 * Per-peer reputation, kept locally by each peer (README "Reputation"). Each event has a fixed
 * target value and weight; the score moves toward the target by that weight (exponential
 * smoothing), so recent behaviour counts most, and it decays toward neutral over time so an old
 * offence is eventually forgiven. Scores lie in [-1, 1]; 0 is a stranger.
 */
export type ReputationEventType = 'goodDownload' | 'goodUpload' | 'refused' | 'timeout' | 'corrupt';

/** Target value and smoothing weight of each event. */
export const REPUTATION_EVENTS: Record<ReputationEventType, { value: number; weight: number }> = {
  /** A chunk we fetched from the peer arrived and verified. */
  goodDownload: { value: 1, weight: 0.05 },
  /** The peer took a chunk we served it in full. */
  goodUpload: { value: 1, weight: 0.02 },
  /** The peer refused a request for a chunk it had said it had, or said busy. */
  refused: { value: -1, weight: 0.05 },
  /** The peer stalled (sent nothing for the request timeout) or kept a request too long, or connecting failed. */
  timeout: { value: -1, weight: 0.15 },
  /** The peer sent data that failed verification or broke the protocol. */
  corrupt: { value: -1, weight: 0.4 }
};

/** Below this score a peer is dropped and not contacted again until its score recovers. */
export const DROP_THRESHOLD = -0.5;

/** Half-life of the decay toward 0: one hour. */
export const DECAY_HALF_LIFE_MS = 60 * 60 * 1000;

/** Events remembered per peer for display. */
const RECENT_EVENTS = 20;

export interface PeerReputation {
  peerId: string;
  score: number;
  /** When the score was last changed (decay runs from here). */
  updatedAt: number;
  counts: Record<ReputationEventType, number>;
  recent: { type: ReputationEventType; at: number }[];
}

const zeroCounts = (): Record<ReputationEventType, number> => ({ goodDownload: 0, goodUpload: 0, refused: 0, timeout: 0, corrupt: 0 });

/** The score after decay from `updatedAt` to `now`. */
export function decayedScore(rep: Pick<PeerReputation, 'score' | 'updatedAt'>, now: number): number {
  const dt = Math.max(0, now - rep.updatedAt);
  return rep.score * Math.pow(0.5, dt / DECAY_HALF_LIFE_MS);
}

/** Applies one event to a record (or a new one), returning the new record. Pure. */
export function applyEvent(rep: PeerReputation | undefined, peerId: string, type: ReputationEventType, now: number): PeerReputation {
  const base = rep ?? { peerId, score: 0, updatedAt: now, counts: zeroCounts(), recent: [] };
  const { value, weight } = REPUTATION_EVENTS[type];
  const current = decayedScore(base, now);
  const score = Math.max(-1, Math.min(1, current + weight * (value - current)));
  const recent = [...base.recent, { type, at: now }].slice(-RECENT_EVENTS);
  return { peerId, score, updatedAt: now, counts: { ...base.counts, [type]: base.counts[type] + 1 }, recent };
}

/** Shown to people as 0–100, 50 being a stranger. */
export function displayScore(score: number): number {
  return Math.round((score + 1) * 50);
}

/** Parses a stored record, dropping anything malformed. */
export function parseReputation(v: unknown): PeerReputation | null {
  if (typeof v !== 'object' || v === null) return null;
  const r = v as Record<string, unknown>;
  if (typeof r.peerId !== 'string' || r.peerId.length === 0 || r.peerId.length > 64) return null;
  if (typeof r.score !== 'number' || !(r.score >= -1 && r.score <= 1)) return null;
  if (typeof r.updatedAt !== 'number' || !Number.isFinite(r.updatedAt)) return null;
  const counts = zeroCounts();
  const c = (r.counts ?? {}) as Record<string, unknown>;
  for (const k of Object.keys(counts) as ReputationEventType[]) {
    const n = c[k];
    if (typeof n === 'number' && Number.isSafeInteger(n) && n >= 0) counts[k] = n;
  }
  const recent = Array.isArray(r.recent)
    ? r.recent
        .filter((e): e is { type: ReputationEventType; at: number } => {
          const x = e as { type?: unknown; at?: unknown };
          return typeof x?.at === 'number' && typeof x?.type === 'string' && x.type in REPUTATION_EVENTS;
        })
        .slice(-RECENT_EVENTS)
    : [];
  return { peerId: r.peerId, score: r.score, updatedAt: r.updatedAt, counts, recent };
}

/** All reputations one peer keeps, with the clock passed in. */
export class ReputationBook {
  readonly #now: () => number;
  readonly #peers = new Map<string, PeerReputation>();

  constructor(now: () => number, initial: PeerReputation[] = []) {
    this.#now = now;
    for (const r of initial) this.#peers.set(r.peerId, r);
  }

  /** Puts a stored record back (at start-up). */
  load(rep: PeerReputation): void {
    this.#peers.set(rep.peerId, rep);
  }

  record(peerId: string, type: ReputationEventType): PeerReputation {
    const next = applyEvent(this.#peers.get(peerId), peerId, type, this.#now());
    this.#peers.set(peerId, next);
    return next;
  }

  /** Current score (decayed to now); 0 for a stranger. */
  score(peerId: string): number {
    const r = this.#peers.get(peerId);
    return r ? decayedScore(r, this.#now()) : 0;
  }

  /** True while the peer is below the drop threshold. */
  isBad(peerId: string): boolean {
    return this.score(peerId) < DROP_THRESHOLD;
  }

  get(peerId: string): PeerReputation | undefined {
    return this.#peers.get(peerId);
  }

  all(): PeerReputation[] {
    const now = this.#now();
    return [...this.#peers.values()].map((r) => ({ ...r, score: decayedScore(r, now), updatedAt: now })).sort((a, b) => b.score - a.score);
  }
}
