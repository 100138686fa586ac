import { describe, expect, it } from 'vitest';
import { matchesQuery, parseSearchQuery } from './search-query.ts';
import { rankHits, shuffle } from './search.ts';

describe('parseSearchQuery', () => {
  it('splits words, lower-cases them and drops repeats', () => {
    expect(parseSearchQuery('  Holiday  PHOTOS holiday ')).toEqual({ words: ['holiday', 'photos'] });
    expect(parseSearchQuery('')).toEqual({ words: [] });
  });
  it('reads name="..." as an exact name', () => {
    expect(parseSearchQuery('name="My File.txt"')).toEqual({ words: [], exactName: 'My File.txt' });
    expect(parseSearchQuery('name=My')).toEqual({ words: ['name=my'] });
  });
  it('adds an id prefix for 8 to 64 hex characters', () => {
    expect(parseSearchQuery('DEADBEEF')).toEqual({ words: ['deadbeef'], idPrefix: 'deadbeef' });
    expect(parseSearchQuery('deadbee')).toEqual({ words: ['deadbee'] });
    expect(parseSearchQuery('a'.repeat(65)).idPrefix).toBeUndefined();
    expect(parseSearchQuery('deadbeef cafe').idPrefix).toBeUndefined();
  });
});

describe('matchesQuery', () => {
  const file = { id: 'abcdef0123'.padEnd(64, '0'), name: 'Summer Holiday.zip' };
  it('needs every word, or the exact name, or the id prefix', () => {
    expect(matchesQuery(parseSearchQuery('holiday summer'), file)).toBe(true);
    expect(matchesQuery(parseSearchQuery('holiday winter'), file)).toBe(false);
    expect(matchesQuery(parseSearchQuery('name="Summer Holiday.zip"'), file)).toBe(true);
    expect(matchesQuery(parseSearchQuery('name="summer holiday.zip"'), file)).toBe(false);
    expect(matchesQuery(parseSearchQuery('ABCDEF01'), file)).toBe(true);
  });
});

describe('rankHits', () => {
  it('orders by seeders, then last seen, then id; live files are seen now', () => {
    const rows = [
      { id: 'a', name: 'a', size: 1, lastSeen: 10 },
      { id: 'b', name: 'b', size: 1, lastSeen: 30 },
      { id: 'c', name: 'c', size: 1, lastSeen: 20 },
      { id: 'd', name: 'd', size: 1, lastSeen: 5 }
    ];
    const counts: Record<string, { seeders: number; leechers: number }> = { a: { seeders: 2, leechers: 0 }, d: { seeders: 0, leechers: 1 } };
    const hits = rankHits(rows, (id) => counts[id] ?? { seeders: 0, leechers: 0 }, 100);
    expect(hits.map((h) => h.id)).toEqual(['a', 'd', 'b', 'c']);
    expect(hits[1]).toEqual({ id: 'd', name: 'd', size: 1, seeders: 0, leechers: 1, lastSeen: 100 });
  });
  it('shuffle keeps every item', () => {
    expect(shuffle([1, 2, 3, 4], () => 0.3).sort()).toEqual([1, 2, 3, 4]);
  });
});
