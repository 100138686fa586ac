/**
 * STYLE.md §9 kept by a test: browser code (src/routes, src/lib/core, src/lib/peer, src/lib/ui)
 * never reaches a Node-only module, and src/lib/core imports nothing outside core. The same rules
 * run on small fixtures first, to show they catch what they are meant to catch.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { browserBoundary, checkBoundary, coreBoundary, formatViolation, parseImports } from './import-boundary.ts';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

let fixtures: string[] = [];
afterEach(() => {
  for (const dir of fixtures) rmSync(dir, { recursive: true, force: true });
  fixtures = [];
});

/** A project on disk from { 'relative/path': 'contents' }. */
function fixture(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), 'shoal-boundary-'));
  fixtures.push(root);
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  return root;
}

const messages = (root: string, rule: Parameters<typeof checkBoundary>[0]) => checkBoundary(rule).map((v) => formatViolation(root, v));

describe('import-boundary checker', () => {
  it('reads static, type, re-export, dynamic and worker imports, and not comments or strings', () => {
    const refs = parseImports(
      'x.ts',
      [
        "import a from './a.ts';",
        "import type { B } from './b.ts';",
        "export { c } from './c.ts';",
        "// import d from 'node:fs';",
        "const s = \"import('node:os')\";",
        "const e = await import('./e.ts');",
        "type F = import('./f.ts').F;",
        "const w = new Worker(new URL('./w.ts?worker', import.meta.url));",
        'const g = await import(name);'
      ].join('\n')
    );
    expect(refs).toEqual([
      { specifier: './a.ts', line: 1 },
      { specifier: './b.ts', line: 2 },
      { specifier: './c.ts', line: 3 },
      { specifier: './e.ts', line: 6 },
      { specifier: './f.ts', line: 7 },
      { specifier: './w.ts', line: 8 },
      { specifier: '<computed>', line: 9 }
    ]);
  });

  it('reads the <script> blocks of a Svelte component, with their lines', () => {
    const refs = parseImports('C.svelte', ['<script module>', "  import { a } from './a.ts';", '</script>', '<script lang="ts">', "  import B from './B.svelte';", '</script>', "<p>import x from 'node:fs'</p>"].join('\n'));
    expect(refs).toEqual([
      { specifier: './a.ts', line: 2 },
      { specifier: './B.svelte', line: 5 }
    ]);
  });

  it('names the chain from a page to a Node-only module it reaches through files outside the browser directories', () => {
    const root = fixture({
      'src/routes/+page.svelte': "<script lang=\"ts\">\n  import { a } from '$lib/tracker/a.ts';\n</script>\n",
      'src/lib/tracker/a.ts': "import type { B } from './b.ts';\nexport const a = () => import('./c.ts');\n",
      'src/lib/tracker/b.ts': 'export type B = number;\n',
      'src/lib/tracker/c.ts': "import { db } from '../../../server/db.ts';\nexport const c = db;\n",
      'server/db.ts': "import Database from 'better-sqlite3';\nexport const db = Database;\n"
    });
    expect(messages(root, browserBoundary(root))).toEqual([
      "src/routes/+page.svelte:2 imports '$lib/tracker/a.ts' -> src/lib/tracker/a.ts:2 imports './c.ts' -> src/lib/tracker/c.ts:1 imports '../../../server/db.ts': server/db.ts is the Node server (server/)"
    ]);
  });

  it('catches Node built-ins, Node-only packages, $lib/server, cli/, private env, unresolved and computed imports', () => {
    const root = fixture({
      'src/lib/peer/p.ts': [
        "import { readFileSync } from 'node:fs';",
        "import path from 'path';",
        "import type { Redis } from 'ioredis';",
        "import { store } from '$lib/server/store.ts';",
        "import { main } from '../../../cli/main.ts';",
        "import { env } from '$env/dynamic/private';",
        "import { gone } from './gone.ts';",
        'const m = await import(name);',
        "import { io } from 'socket.io-client';",
        "import { w } from '../tracker/worker.ts';"
      ].join('\n'),
      'src/lib/tracker/worker.ts': "export const w = new URL('./inner.ts', import.meta.url);\n",
      'src/lib/tracker/inner.ts': "import os from 'node:os';\n",
      'src/lib/server/store.ts': 'export const store = 1;\n',
      'cli/main.ts': 'export const main = 1;\n'
    });
    expect(messages(root, browserBoundary(root))).toEqual([
      "src/lib/peer/p.ts:1 imports 'node:fs': node:fs is a Node built-in module",
      "src/lib/peer/p.ts:2 imports 'path': path is a Node built-in module",
      "src/lib/peer/p.ts:3 imports 'ioredis': ioredis is a Node-only package",
      "src/lib/peer/p.ts:4 imports '$lib/server/store.ts': src/lib/server/store.ts is server-only ($lib/server)",
      "src/lib/peer/p.ts:5 imports '../../../cli/main.ts': cli/main.ts is the Node CLI (cli/)",
      "src/lib/peer/p.ts:6 imports '$env/dynamic/private': $env/dynamic/private is server-only in SvelteKit",
      "src/lib/peer/p.ts:7 imports './gone.ts': ./gone.ts names no file of the project",
      "src/lib/peer/p.ts:8 imports '<computed>': an import with a computed specifier cannot be checked",
      "src/lib/peer/p.ts:10 imports '../tracker/worker.ts' -> src/lib/tracker/worker.ts:1 imports './inner.ts' -> src/lib/tracker/inner.ts:1 imports 'node:os': node:os is a Node built-in module"
    ]);
  });

  it('finds nothing in a project that keeps its boundaries (tests and *.server files may use Node)', () => {
    const root = fixture({
      'src/routes/+page.svelte': "<script>\n  import { b } from '$lib/peer/b.ts';\n</script>\n",
      'src/routes/+page.server.ts': "import { readFileSync } from 'node:fs';\n",
      'src/lib/peer/b.ts': "import { z } from 'zod';\nimport { api } from '../tracker/api.ts';\nexport const b = [z, api];\n",
      'src/lib/peer/b.spec.ts': "import { readFileSync } from 'node:fs';\nimport { describe } from 'vitest';\n",
      'src/lib/tracker/api.ts': "import { c } from '../core/c.ts';\nexport const api = c;\n",
      'src/lib/core/c.ts': "import { d } from './d.ts';\nexport const c = d;\n",
      'src/lib/core/d.ts': 'export const d = 1;\n'
    });
    expect(messages(root, browserBoundary(root))).toEqual([]);
    expect(messages(root, coreBoundary(root))).toEqual([]);
  });

  it('core: any import of a package or of a file outside core', () => {
    const root = fixture({
      'src/lib/core/a.ts': "import { b } from './b.ts';\nimport { z } from 'zod';\nimport type { Api } from '../tracker/api.ts';\nimport { t } from './a.spec.ts';\n",
      'src/lib/core/a.spec.ts': "import { createHash } from 'node:crypto';\nexport const t = 1;\n",
      'src/lib/core/b.ts': 'export const b = 1;\n',
      'src/lib/tracker/api.ts': 'export type Api = 1;\n'
    });
    expect(messages(root, coreBoundary(root))).toEqual([
      "src/lib/core/a.ts:2 imports 'zod': core imports no package (zod)",
      "src/lib/core/a.ts:3 imports '../tracker/api.ts': src/lib/tracker/api.ts is outside src/lib/core",
      "src/lib/core/a.ts:4 imports './a.spec.ts': src/lib/core/a.spec.ts is a test"
    ]);
  });
});

describe('import boundaries of this project', () => {
  it('browser code reaches no Node-only module', () => {
    const rule = browserBoundary(ROOT);
    expect(rule.entries.length).toBeGreaterThan(30);
    expect(rule.entries).toContain(join(ROOT, 'src/routes/+page.svelte'));
    expect(messages(ROOT, rule)).toEqual([]);
  });

  it('src/lib/core imports only src/lib/core', () => {
    const rule = coreBoundary(ROOT);
    expect(rule.entries).toContain(join(ROOT, 'src/lib/core/wire.ts'));
    expect(messages(ROOT, rule)).toEqual([]);
  });
});
