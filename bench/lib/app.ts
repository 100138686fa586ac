/**
 * The real Shoal server (tracker + the production SvelteKit build) for browser benchmarks. It
 * serves the build `build` pointed at when it started (server/site-build.ts), so that an
 * `npm run build` elsewhere during a long run cannot pull the site's files from under it.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { silentLogger } from '../../src/lib/log.ts';
import { startShoalServer } from '../../server/shoal-server.ts';
import { openSiteBuild, siteBuildPaths } from '../../server/site-build.ts';

export interface BenchApp {
  url: string;
  close(): Promise<void>;
}

export async function startBenchApp(): Promise<BenchApp> {
  const site = await openSiteBuild(siteBuildPaths(resolve('.')));
  const dataDir = await mkdtemp(join(tmpdir(), 'shoal-bench-app-'));
  const server = await startShoalServer({ host: '127.0.0.1', port: 0, dataDir, handler: site.handler, log: silentLogger });
  return {
    url: server.url,
    async close() {
      await server.close();
      site.release();
      await rm(dataDir, { recursive: true, force: true });
    }
  };
}
