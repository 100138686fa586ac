/** Ranks search matches: most seeders first, then most recently seen, then by id (stable pages). */
import type { SearchHit } from './api.ts';
import type { SearchRow } from './index-store.ts';

export function rankHits(
  rows: readonly SearchRow[],
  counts: (id: string) => { seeders: number; leechers: number },
  now: number
): SearchHit[] {
  const hits = rows.map((r): SearchHit => {
    const { seeders, leechers } = counts(r.id);
    return { id: r.id, name: r.name, size: r.size, seeders, leechers, lastSeen: seeders + leechers > 0 ? now : r.lastSeen };
  });
  hits.sort((a, b) => b.seeders - a.seeders || b.lastSeen - a.lastSeen || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  return hits;
}

/** Fisher–Yates in place with the given random source. */
export function shuffle<T>(items: T[], random: () => number): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [items[i], items[j]] = [items[j], items[i]];
  }
  return items;
}
