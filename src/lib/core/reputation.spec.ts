import { describe, expect, it } from 'vitest';
import { applyEvent, decayedScore, DECAY_HALF_LIFE_MS, displayScore, DROP_THRESHOLD, parseReputation, ReputationBook } from './reputation.ts';

describe('reputation', () => {
  it('starts neutral and rises with good transfers, never above 1', () => {
    const book = new ReputationBook(() => 0);
    expect(book.score('p')).toBe(0);
    for (let i = 0; i < 500; i++) book.record('p', 'goodDownload');
    expect(book.score('p')).toBeGreaterThan(0.99);
    expect(book.score('p')).toBeLessThanOrEqual(1);
    expect(book.get('p')!.counts.goodDownload).toBe(500);
    expect(book.get('p')!.recent).toHaveLength(20);
  });

  it('drops a stranger after two corrupt chunks and a trusted peer after a few', () => {
    const book = new ReputationBook(() => 0);
    book.record('s', 'corrupt');
    expect(book.isBad('s')).toBe(false);
    book.record('s', 'corrupt');
    expect(book.isBad('s')).toBe(true);
    for (let i = 0; i < 100; i++) book.record('t', 'goodDownload');
    let n = 0;
    while (!book.isBad('t')) {
      book.record('t', 'corrupt');
      n++;
    }
    expect(n).toBeGreaterThanOrEqual(3);
    expect(n).toBeLessThanOrEqual(4);
  });

  it('weighs a timeout more than a refusal', () => {
    const a = applyEvent(undefined, 'p', 'refused', 0);
    const b = applyEvent(undefined, 'p', 'timeout', 0);
    expect(b.score).toBeLessThan(a.score);
    expect(a.score).toBeLessThan(0);
  });

  it('decays toward neutral with a one-hour half-life, so a dropped peer is forgiven later', () => {
    let now = 0;
    const book = new ReputationBook(() => now);
    book.record('p', 'corrupt');
    book.record('p', 'corrupt');
    const s = book.score('p');
    now = DECAY_HALF_LIFE_MS;
    expect(book.score('p')).toBeCloseTo(s / 2, 10);
    now = 3 * DECAY_HALF_LIFE_MS;
    expect(book.isBad('p')).toBe(false);
    expect(decayedScore({ score: -1, updatedAt: 0 }, 0)).toBe(-1);
    expect(DROP_THRESHOLD).toBeLessThan(0);
  });

  it('orders peers best first and shows scores as 0–100', () => {
    const book = new ReputationBook(() => 0);
    book.record('bad', 'timeout');
    book.record('good', 'goodDownload');
    expect(book.all().map((r) => r.peerId)).toEqual(['good', 'bad']);
    expect(displayScore(0)).toBe(50);
    expect(displayScore(1)).toBe(100);
    expect(displayScore(-1)).toBe(0);
  });

  it('parses stored records and rejects malformed ones', () => {
    const r = applyEvent(undefined, 'p', 'goodUpload', 5);
    expect(parseReputation(JSON.parse(JSON.stringify(r)))).toEqual(r);
    expect(parseReputation(null)).toBeNull();
    expect(parseReputation({ ...r, score: 7 })).toBeNull();
    expect(parseReputation({ ...r, peerId: '' })).toBeNull();
    expect(parseReputation({ ...r, updatedAt: 'x' })).toBeNull();
    expect(parseReputation({ ...r, recent: [{ type: 'evil', at: 1 }, { type: 'corrupt', at: 2 }] })!.recent).toEqual([{ type: 'corrupt', at: 2 }]);
  });
});
