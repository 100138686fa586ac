import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

/** STYLE.md §9 and DESIGN.md: src/lib/core imports nothing but itself and touches no platform API. */
const dir = fileURLToPath(new URL('.', import.meta.url));
const sources = readdirSync(dir).filter((f) => f.endsWith('.ts') && !f.endsWith('.spec.ts'));

describe('core boundary', () => {
  it('finds the core modules', () => {
    expect(sources).toEqual(expect.arrayContaining(['manifest.ts', 'wire.ts', 'piece-picker.ts', 'index.ts']));
  });

  for (const file of sources) {
    it(`${file} imports only sibling core modules`, () => {
      const text = readFileSync(dir + file, 'utf8');
      const specifiers = [...text.matchAll(/\b(?:import|export)\b[^'";]*?\bfrom\s*['"]([^'"]+)['"]/g)].map((m) => m[1]);
      for (const s of specifiers) {
        expect(s, `${file}: ${s}`).toMatch(/^\.\/[a-z0-9-]+\.ts$/);
        expect(sources, `${file}: ${s}`).toContain(s.slice(2));
      }
      expect(text).not.toMatch(/\bimport\s*\(|\brequire\s*\(|^\s*import\s+['"]/m);
    });

    it(`${file} uses no platform API`, () => {
      const code = readFileSync(dir + file, 'utf8')
        .replace(/\/\*[\s\S]*?\*\//g, '')
        .replace(/\/\/.*$/gm, '');
      expect(code).not.toMatch(/\b(?:window|document|navigator|process|Buffer|globalThis|crypto|indexedDB|fetch|setTimeout|setInterval|RTCPeerConnection|WebSocket)\b/);
    });
  }
});
