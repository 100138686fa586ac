/**
 * Turns a search string into a StoreQuery (docs/TRACKER.md, "Search"):
 * - `name="exact.txt"` matches that exact name;
 * - otherwise whitespace-separated words, all of which must occur in the name, any case;
 * - a query of 8 to 64 hex characters also matches ids starting with it.
 * An empty query matches every public file.
 */
import { MIN_ID_PREFIX } from './constants.ts';
import type { StoreQuery } from './index-store.ts';

const EXACT_RE = /^name="(.*)"$/s;
const HEX_RE = new RegExp(`^[0-9a-fA-F]{${MIN_ID_PREFIX},64}$`);

export function parseSearchQuery(q: string): StoreQuery {
  const text = q.trim();
  const exact = EXACT_RE.exec(text);
  if (exact) return { words: [], exactName: exact[1] };
  const words = [...new Set(text.toLowerCase().split(/\s+/).filter(Boolean))];
  const query: StoreQuery = { words };
  if (HEX_RE.test(text)) query.idPrefix = text.toLowerCase();
  return query;
}

/** The memory store's and the contract tests' reading of a StoreQuery for one file. */
export function matchesQuery(query: StoreQuery, file: { id: string; name: string }): boolean {
  if (query.idPrefix && file.id.startsWith(query.idPrefix)) return true;
  if (query.exactName !== undefined) return file.name === query.exactName;
  const lower = file.name.toLowerCase();
  return query.words.every((w) => lower.includes(w));
}
