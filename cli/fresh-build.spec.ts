import { mkdir, mkdtemp, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { freshBuild } from './fresh-build.mjs';

let root: string;
const rootUrl = () => pathToFileURL(`${root}/`);

async function source(path: string, text: string): Promise<{ path: string; size: number; mtimeMs: number }> {
  await mkdir(join(root, path, '..'), { recursive: true });
  await writeFile(join(root, path), text);
  const st = await stat(join(root, path));
  return { path, size: st.size, mtimeMs: st.mtimeMs };
}

async function inputs(list: unknown): Promise<void> {
  await mkdir(join(root, 'dist'), { recursive: true });
  await writeFile(join(root, 'dist', 'inputs.json'), JSON.stringify({ inputs: list }));
}

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'shoal-fresh-'));
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('freshBuild: whether cli/bin.mjs may run the compiled CLI', () => {
  it('is true while every source has the size and mtime it was built from', async () => {
    await inputs([await source('cli/main.ts', 'a'), await source('src/lib/core/x.ts', 'bb')]);
    expect(freshBuild(rootUrl())).toBe(true);
  });

  it('is false without a build, with a damaged or empty list, or a list that points outside', async () => {
    expect(freshBuild(rootUrl())).toBe(false);
    await mkdir(join(root, 'dist'));
    await writeFile(join(root, 'dist', 'inputs.json'), '{"inputs": [');
    expect(freshBuild(rootUrl())).toBe(false);
    await inputs([]);
    expect(freshBuild(rootUrl())).toBe(false);
    await inputs({ path: 'cli/main.ts' });
    expect(freshBuild(rootUrl())).toBe(false);
    const outside = await source('cli/main.ts', 'a');
    await inputs([{ ...outside, path: '../elsewhere/main.ts' }]);
    expect(freshBuild(rootUrl())).toBe(false);
  });

  it('is false once a source is edited (size), touched (mtime) or removed', async () => {
    const a = await source('cli/main.ts', 'a');
    const b = await source('cli/args.ts', 'bb');
    await inputs([a, b]);
    await writeFile(join(root, 'cli/args.ts'), 'bbb');
    expect(freshBuild(rootUrl())).toBe(false);

    await inputs([a, await source('cli/args.ts', 'cc')]);
    expect(freshBuild(rootUrl())).toBe(true);
    const later = new Date(Date.now() + 5000);
    await utimes(join(root, 'cli/main.ts'), later, later);
    expect(freshBuild(rootUrl())).toBe(false);

    await inputs([await source('cli/main.ts', 'a'), await source('cli/args.ts', 'cc')]);
    await rm(join(root, 'cli/args.ts'));
    expect(freshBuild(rootUrl())).toBe(false);
  });
});
