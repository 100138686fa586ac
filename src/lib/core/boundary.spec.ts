import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

/**
 * STYLE.md §9 and DESIGN.md: src/lib/core touches no platform API. That it imports nothing but
 * itself is checked with the other import boundaries (scripts/import-boundary.spec.ts).
 */
const dir = fileURLToPath(new URL('.', import.meta.url));
const sources = readdirSync(dir).filter((f) => f.endsWith('.ts') && !f.endsWith('.spec.ts'));

describe('core boundary', () => {
  it('finds the core modules', () => {
    expect(sources).toEqual(expect.arrayContaining(['manifest.ts', 'wire.ts', 'piece-picker.ts']));
  });

  for (const file of sources) {
    it(`${file} uses no platform API`, () => {
      const code = readFileSync(dir + file, 'utf8')
        .replace(/\/\*[\s\S]*?\*\//g, '')
        .replace(/\/\/.*$/gm, '');
      expect(code).not.toMatch(/\b(?:window|document|navigator|process|Buffer|globalThis|crypto|indexedDB|fetch|setTimeout|setInterval|RTCPeerConnection|WebSocket)\b/);
    });
  }
});
