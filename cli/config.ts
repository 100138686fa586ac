import { readFile } from 'node:fs/promises';
import { isIPv4 } from 'node:net';
import { dirname, resolve } from 'node:path';
import { isLogLevel, type LogLevel } from '../src/lib/log.ts';
import { DEFAULT_CONFIG_FILE } from './constants.ts';
import { CliError } from './errors.ts';
import { parseSize } from './format.ts';

/**
 * The config file (docs/NODE-PEER.md, "Config file"): a JSON object; every key optional, unknown
 * keys refused. Relative paths are relative to the file's own folder. Flags override it.
 */
export interface ConfigFile {
  tracker?: string | null;
  dataDir?: string;
  output?: string;
  port?: number;
  lan?: boolean;
  lanAddress?: string;
  lanPort?: number;
  lanInterface?: string;
  maxPeers?: number;
  /** Bytes per second, or a string like "2M"; 0 or null for none. */
  uploadLimit?: number | null;
  logLevel?: LogLevel;
  json?: boolean;
}

const KEYS = ['tracker', 'dataDir', 'output', 'port', 'lan', 'lanAddress', 'lanPort', 'lanInterface', 'maxPeers', 'uploadLimit', 'logLevel', 'json'];
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
  if (typeof v !== 'object' || v === null || Array.isArray(v)) bad(path, 'must hold a JSON object');
  const o = v as Record<string, unknown>;
  for (const key of Object.keys(o)) if (!KEYS.includes(key)) bad(path, `unknown key ${JSON.stringify(key)} (known: ${KEYS.join(', ')})`);
  const base = dirname(resolve(path));
  const out: ConfigFile = {};
  const str = (key: string): string | undefined => {
    if (o[key] === undefined) return undefined;
    if (typeof o[key] !== 'string' || (o[key] as string).length === 0 || (o[key] as string).length > 4096) bad(path, `${key} must be a non-empty string`);
    return o[key] as string;
  };
  const int = (key: string, min: number, max: number): number | undefined => {
    const x = o[key];
    if (x === undefined) return undefined;
    if (typeof x !== 'number' || !Number.isInteger(x) || x < min || x > max) bad(path, `${key} must be a whole number from ${min} to ${max}`);
    return x;
  };
  const flag = (key: string): boolean | undefined => {
    if (o[key] === undefined) return undefined;
    if (typeof o[key] !== 'boolean') bad(path, `${key} must be true or false`);
    return o[key] as boolean;
  };
  if (o.tracker === null || o.tracker === false) out.tracker = null;
  else out.tracker = str('tracker');
  const dataDir = str('dataDir');
  if (dataDir !== undefined) out.dataDir = resolve(base, dataDir);
  const output = str('output');
  if (output !== undefined) out.output = resolve(base, output);
  out.port = int('port', 0, 65535);
  out.lan = flag('lan');
  out.lanAddress = str('lanAddress');
  if (out.lanAddress !== undefined && !isIPv4(out.lanAddress)) bad(path, 'lanAddress must be an IPv4 address');
  out.lanPort = int('lanPort', 1, 65535);
  out.lanInterface = str('lanInterface');
  if (out.lanInterface !== undefined && !isIPv4(out.lanInterface)) bad(path, 'lanInterface must be an IPv4 address');
  out.maxPeers = int('maxPeers', 1, 1000);
  if (o.uploadLimit === null || o.uploadLimit === 0) out.uploadLimit = null;
  else if (typeof o.uploadLimit === 'number' || typeof o.uploadLimit === 'string') {
    const n = typeof o.uploadLimit === 'number' && Number.isInteger(o.uploadLimit) && o.uploadLimit > 0 ? o.uploadLimit : parseSize(String(o.uploadLimit));
    if (n === null) bad(path, 'uploadLimit must be bytes per second or a rate like "2M"');
    out.uploadLimit = n === 0 ? null : n;
  } else if (o.uploadLimit !== undefined) bad(path, 'uploadLimit must be bytes per second or a rate like "2M"');
  if (o.logLevel !== undefined) {
    if (!isLogLevel(o.logLevel)) bad(path, 'logLevel must be debug, info, warn, error or silent');
    out.logLevel = o.logLevel;
  }
  out.json = flag('json');
  for (const k of Object.keys(out) as (keyof ConfigFile)[]) if (out[k] === undefined) delete out[k];
  return out;
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
