import { parseArgs } from 'node:util';
import { parseSize } from '../../cli/format.ts';

/** One swarm experiment, validated (STYLE.md: parse CLI arguments into typed values with limits). */
export interface SwarmConfig {
  peers: number;
  files: number;
  /** Bytes per file. */
  size: number;
  /** Peers that start with every file. */
  seeders: number;
  /** Seeders that serve corrupt chunks (counted among `seeders`). */
  liars: number;
  /** Departures per minute (each replaced by a newcomer with nothing); initial seeders never leave. */
  churn: number;
  /** Upload limit of every peer, bytes per second (0: none). */
  uploadLimit: number;
  /** With churn: how long peers keep leaving and joining, seconds. */
  duration: number;
  /** Give up after this many seconds. */
  timeout: number;
  out: string;
  seed: string;
  /** Initial seeders super-seed (each chunk handed out once while its recipient stays). */
  superSeed: boolean;
  /** Regular upload slots of every peer (undefined: the engine's default, UPLOAD_SLOTS). */
  uploadSlots?: number;
}

export const USAGE = `usage: npm run swarm -- --peers N --files M --size S [--churn R] [options]

  --peers N          peers in the swarm, 2-200 (default 20)
  --files M          files, 1-100 (default 3)
  --size S           bytes per file, e.g. 8M, 64M (16K-1G; default 16M)
  --churn R          peers leaving per minute, each replaced by a newcomer (default 0)
  --seeders K        peers that start with every file (default N/5, at least 1)
  --liars L          of the seeders, how many serve corrupt chunks (default 0)
  --upload-limit X   upload limit of every peer, e.g. 4M (per second; 0: none; default 4M)
  --duration D       with churn: seconds of churn before waiting for completion (default 60)
  --timeout T        give up after T seconds (default 600)
  --out DIR          where swarm.json and the SVG plots go (default bench/results/swarm)
  --seed TEXT        seed of the pseudo-random file contents (default "swarm")
  --super-seed       initial seeders hand out each chunk once while its recipient stays
  --upload-slots K   regular upload slots of every peer, 0-64 (default: the engine's, 4)`;

export class UsageError extends Error {
  readonly code = 'BAD_ARGUMENT';
}

function int(name: string, text: string | undefined, def: number, min: number, max: number): number {
  if (text === undefined) return def;
  const n = Number(text);
  if (!Number.isFinite(n) || n < min || n > max) throw new UsageError(`--${name} must be a number from ${min} to ${max}: ${JSON.stringify(text)}`);
  return n;
}

function size(name: string, text: string | undefined, def: number, min: number, max: number): number {
  if (text === undefined) return def;
  const n = parseSize(text);
  if (n === null || n < min || n > max) throw new UsageError(`--${name} must be a size from ${min} to ${max} bytes (e.g. 16M): ${JSON.stringify(text)}`);
  return n;
}

export function parseSwarmArgs(argv: string[]): SwarmConfig | 'help' {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    strict: true,
    options: {
      peers: { type: 'string' },
      files: { type: 'string' },
      size: { type: 'string' },
      churn: { type: 'string' },
      seeders: { type: 'string' },
      liars: { type: 'string' },
      'upload-limit': { type: 'string' },
      duration: { type: 'string' },
      timeout: { type: 'string' },
      out: { type: 'string' },
      seed: { type: 'string' },
      'super-seed': { type: 'boolean' },
      'upload-slots': { type: 'string' },
      help: { type: 'boolean', short: 'h' }
    }
  });
  if (values.help) return 'help';
  if (positionals.length > 0) throw new UsageError(`unexpected argument ${JSON.stringify(positionals[0])}`);
  const peers = Math.floor(int('peers', values.peers, 20, 2, 200));
  const seeders = Math.floor(int('seeders', values.seeders, Math.max(1, Math.floor(peers / 5)), 1, peers - 1));
  const liars = Math.floor(int('liars', values.liars, 0, 0, seeders - 1));
  const seed = values.seed ?? 'swarm';
  if (seed.length > 100) throw new UsageError('--seed must be at most 100 characters');
  return {
    peers,
    files: Math.floor(int('files', values.files, 3, 1, 100)),
    size: size('size', values.size, 16 * 1024 * 1024, 16 * 1024, 1024 ** 3),
    seeders,
    liars,
    churn: int('churn', values.churn, 0, 0, 600),
    uploadLimit: size('upload-limit', values['upload-limit'], 4 * 1024 * 1024, 0, 1024 ** 3),
    duration: int('duration', values.duration, 60, 1, 3600),
    timeout: int('timeout', values.timeout, 600, 10, 24 * 3600),
    out: values.out ?? 'bench/results/swarm',
    seed,
    superSeed: values['super-seed'] ?? false,
    uploadSlots: values['upload-slots'] === undefined ? undefined : Math.floor(int('upload-slots', values['upload-slots'], 4, 0, 64))
  };
}
