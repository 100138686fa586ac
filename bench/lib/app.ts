/**
 * The real Shoal server (tracker + the production SvelteKit build) for browser benchmarks. It
 * serves the runner's snapshot of build/ (SHOAL_BENCH_BUILD, see scripts/bench.mjs), so that an
 * `npm run build` elsewhere during a long run cannot pull the site's files from under it.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { silentLogger } from '../../src/lib/log.ts';
import { startShoalServer, type RequestHandler } from '../../server/shoal-server.ts';

export interface BenchApp {
  url: string;
  close(): Promise<void>;
}

export async function startBenchApp(): Promise<BenchApp> {
  const dir = resolve(process.env.SHOAL_BENCH_BUILD || 'build');
  const handlerPath = join(dir, 'handler.js');
  if (!existsSync(handlerPath)) throw new Error(`No production build at ${handlerPath}: run \`npm run build\` (npm run bench does).`);
  const { handler } = (await import(pathToFileURL(handlerPath).href)) as { handler: RequestHandler };
  const dataDir = await mkdtemp(join(tmpdir(), 'shoal-bench-app-'));
  const server = await startShoalServer({ host: '127.0.0.1', port: 0, dataDir, handler, log: silentLogger });
  return {
    url: server.url,
    async close() {
      await server.close();
      await rm(dataDir, { recursive: true, force: true });
    }
  };
}
