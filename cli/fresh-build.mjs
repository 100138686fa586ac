// Whether the compiled CLI in <root>/dist still matches its sources (see scripts/build-cli.mjs):
// every file listed in dist/inputs.json has the size and mtime it was built from. Plain
// JavaScript, so cli/bin.mjs can ask before any TypeScript loader is registered.
import { readFileSync, statSync } from 'node:fs';

/** @param {URL} root the repository's top directory, ending in `/` */
export function freshBuild(root) {
  let inputs;
  try {
    ({ inputs } = JSON.parse(readFileSync(new URL('dist/inputs.json', root), 'utf8')));
  } catch {
    return false; // no build, or a damaged list: run the sources
  }
  if (!Array.isArray(inputs) || inputs.length === 0) return false;
  for (const input of inputs) {
    if (typeof input?.path !== 'string' || input.path.startsWith('/') || input.path.includes('..')) return false;
    let st;
    try {
      st = statSync(new URL(input.path, root));
    } catch {
      return false; // a source file gone
    }
    if (st.size !== input.size || st.mtimeMs !== input.mtimeMs) return false;
  }
  return true;
}
