import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { DEFAULT_CONFIG_FILE } from './constants.ts';
import { CliError } from './errors.ts';
import { checkConfig, type ConfigFile } from './settings-schema.ts';

export type { ConfigFile } from './settings-schema.ts';

/**
 * The config file (docs/NODE-PEER.md, "Config file"): a JSON object; every key optional, unknown
 * keys refused. Relative paths are relative to the file's own folder. Flags override it. Its
 * schema is cli/settings-schema.ts.
 */
const MAX_CONFIG_BYTES = 64 * 1024;

function bad(path: string, message: string): never {
  throw new CliError('BAD_CONFIG', `${path}: ${message}`);
}

/** Parses and checks a config file's content; `path` names it in errors and anchors relative paths. */
export function parseConfig(text: string, path: string): ConfigFile {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (err) {
    bad(path, `not valid JSON (${(err as Error).message})`);
  }
  const r = checkConfig(v, dirname(resolve(path)));
  if (!r.ok) bad(path, r.message);
  return r.config;
}

/**
 * Loads `explicit` (an error if missing), else ./shoal.config.json if it exists, else nothing.
 */
export async function loadConfig(explicit: string | undefined, cwd = process.cwd()): Promise<{ config: ConfigFile | null; path: string | null }> {
  const path = resolve(cwd, explicit ?? DEFAULT_CONFIG_FILE);
  let text: string;
  try {
    const buf = await readFile(path);
    if (buf.length > MAX_CONFIG_BYTES) bad(path, `larger than ${MAX_CONFIG_BYTES} bytes`);
    text = buf.toString('utf8');
  } catch (err) {
    if (err instanceof CliError) throw err;
    if ((err as NodeJS.ErrnoException).code === 'ENOENT' && explicit === undefined) return { config: null, path: null };
    bad(path, `cannot be read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  return { config: parseConfig(text, path), path };
}
