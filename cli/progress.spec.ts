import { describe, expect, it } from 'vitest';
import { ProgressLine } from './progress.ts';

function stream(tty: boolean) {
  const chunks: string[] = [];
  return { chunks, s: { write: (t: string) => chunks.push(t), isTTY: tty, columns: 40 } };
}

describe('ProgressLine', () => {
  it('redraws one line in place on a terminal, at most every 200 ms', () => {
    let now = 1000;
    const { chunks, s } = stream(true);
    const p = new ProgressLine(s, { now: () => now });
    p.update('a 10%');
    p.update('a 11%'); // too soon: not drawn
    now += 250;
    p.update('a 50%');
    p.print('saved x');
    p.done('a 100%');
    expect(chunks.join('')).toBe('\r\x1b[2Ka 10%\r\x1b[2Ka 50%\r\x1b[2Ksaved x\n\r\x1b[2Ka 50%\r\x1b[2Ka 100%\n');
  });

  it('prints plain periodic lines elsewhere, and cuts long lines on a terminal', () => {
    let now = 10_000;
    const { chunks, s } = stream(false);
    const p = new ProgressLine(s, { now: () => now });
    p.update('one');
    p.update('two'); // within 2 s: skipped
    now += 2000;
    p.update('three');
    expect(chunks).toEqual(['one\n', 'three\n']);
    const t = stream(true);
    new ProgressLine(t.s).update('x'.repeat(100));
    expect(t.chunks[0].length).toBeLessThan(50);
  });
});
