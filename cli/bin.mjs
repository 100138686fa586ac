#!/usr/bin/env node
// The `shoal` command (package.json "bin"). Runs the compiled CLI (dist/main.mjs, built by
// `npm run build` and at install by scripts/build-cli.mjs) while it matches the sources (see
// cli/fresh-build.mjs). Otherwise (no build yet, or a source edited since) it registers tsx's
// loader and runs the TypeScript sources, so an edited checkout never runs stale code.
// SHOAL_FROM_SOURCE=1 always runs the sources.
import { freshBuild } from './fresh-build.mjs';

if (process.env.SHOAL_FROM_SOURCE !== '1' && freshBuild(new URL('..', import.meta.url))) {
  await import('../dist/main.mjs');
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import('./main.ts');
}
