/** Renders the plots of a swarm record again: `tsx bench/swarm/replot.ts [dir]` (default bench/results/swarm). */
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { renderPlots, summarize, type SwarmRecord } from './plots.ts';

const dir = resolve(process.argv[2] ?? 'bench/results/swarm');
const record = JSON.parse(await readFile(join(dir, 'swarm.json'), 'utf8')) as SwarmRecord;
const written = await renderPlots(record, dir);
process.stdout.write(`${summarize(record)}\nwrote ${written.join(', ')}\n`);
