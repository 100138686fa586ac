#!/usr/bin/env node
// The `shoal` command (package.json "bin"): registers tsx's loader so Node 20 can run the
// TypeScript sources directly, then starts cli/main.ts.
import { register } from 'tsx/esm/api';

register();
await import('./main.ts');
