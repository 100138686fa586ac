import { parseArgs } from 'node:util';
import type { z } from 'zod';
import type { LogLevel } from '../src/lib/log.ts';
import type { ConfigFile } from './config.ts';
import { DEFAULT_LAN_ADDRESS, DEFAULT_LAN_PORT, DEFAULT_MAX_PEERS, DEFAULT_TCP_PORT, DEFAULT_TRACKER_URL } from './constants.ts';
import { CliError } from './errors.ts';
import { checkFlag, FLAG_RULES } from './settings-schema.ts';

/** The commands, in the order `shoal --help` lists them. */
export const COMMANDS = {
  seed: { usage: 'seed [<file-or-folder>...] [--watch] [--unlisted]', summary: 'Share files and folders, and seed until stopped.' },
  get: { usage: 'get <id-or-share-link>... [-o <dir>] [--seed] [--force]', summary: 'Download files by id or share link.' },
  search: { usage: 'search <query> [--limit <n>]', summary: 'Search the tracker for files by name.' },
  whohas: { usage: 'whohas <id-or-share-link>', summary: 'List the peers (tracker and LAN) that have a file.' },
  ls: { usage: 'ls', summary: 'List what this peer shares and downloads (from the data directory).' },
  rm: { usage: 'rm <id-or-share-link-or-watched-folder>...', summary: 'Stop sharing files, forget downloads or stop watching a folder (files on disk stay).' },
  shell: { usage: 'shell', summary: 'An interactive prompt: get, myfiles, whohas, search, peers, exit.' }
} as const;
export type Command = keyof typeof COMMANDS;

type OptionSpec = {
  type: 'string' | 'boolean';
  short?: string;
  value?: string;
  help: string;
  /** Commands that take it; omitted for every command. */
  commands?: Command[];
};

const NETWORK: Command[] = ['seed', 'get', 'whohas', 'shell'];
const PEER: Command[] = ['seed', 'get', 'shell'];

/** Every option. Flags override the config file, which overrides the defaults. */
export const OPTIONS: Record<string, OptionSpec> = {
  config: { type: 'string', value: '<file>', help: 'Config file (JSON). Default: ./shoal.config.json if it exists.' },
  'data-dir': { type: 'string', value: '<dir>', help: 'Where the peer keeps its identity and what it shares. Default: ~/.shoal.' },
  tracker: {
    type: 'string',
    value: '<url>[,<url>...]',
    help: `Tracker to use; several processes of one network as a comma-separated list, the next tried when one fails. Default: ${DEFAULT_TRACKER_URL}.`,
    commands: [...NETWORK, 'search']
  },
  'no-tracker': { type: 'boolean', help: 'Use no tracker: LAN only.', commands: [...NETWORK, 'search'] },
  lan: { type: 'boolean', help: 'LAN discovery and TCP transfers on (the default).', commands: NETWORK },
  'no-lan': { type: 'boolean', help: 'LAN discovery and TCP transfers off.', commands: NETWORK },
  'lan-address': { type: 'string', value: '<ip>', help: `Multicast group or broadcast address for discovery. Default: ${DEFAULT_LAN_ADDRESS}.`, commands: NETWORK },
  'lan-port': { type: 'string', value: '<port>', help: `UDP port for discovery. Default: ${DEFAULT_LAN_PORT}.`, commands: NETWORK },
  'lan-interface': { type: 'string', value: '<ip>', help: 'Local IPv4 address of the interface for multicast. Default: the system\'s choice.', commands: NETWORK },
  port: { type: 'string', value: '<port>', help: `TCP port for LAN transfers (0: any). Default: ${DEFAULT_TCP_PORT}, or any free port if taken.`, commands: PEER },
  'max-peers': { type: 'string', value: '<n>', help: `Connections open at once, at most. Default: ${DEFAULT_MAX_PEERS}.`, commands: PEER },
  'upload-limit': { type: 'string', value: '<rate>', help: 'Upload limit per second, e.g. 500K, 2M (0: none). Default: none.', commands: PEER },
  'super-seed': { type: 'boolean', help: 'Super-seeding, for the first seeder of a file: each chunk goes to one peer only while it stays, and peers pass it on.', commands: PEER },
  output: { type: 'string', short: 'o', value: '<dir>', help: 'Where downloads are written (created if missing). Default: the current directory.', commands: ['get', 'shell'] },
  force: { type: 'boolean', help: 'Overwrite an existing file where a download would be written.', commands: ['get', 'shell'] },
  seed: { type: 'boolean', help: 'Keep seeding after the downloads complete.', commands: ['get'] },
  watch: { type: 'boolean', help: 'Keep watching the folders: files added or changed later are shared too.', commands: ['seed'] },
  unlisted: { type: 'boolean', help: 'Share as unlisted: reachable by id or link, never listed in search.', commands: ['seed', 'shell'] },
  limit: { type: 'string', value: '<n>', help: 'Results to show (1-100). Default: 20.', commands: ['search'] },
  'log-level': { type: 'string', value: '<level>', help: 'debug, info, warn, error or silent. Default: warn.' },
  json: { type: 'boolean', help: 'Print one JSON object per line (events and results), for scripts.' },
  help: { type: 'boolean', short: 'h', help: 'Show help.' },
  version: { type: 'boolean', help: 'Show the version.' }
};

export interface Settings {
  command: Command | null;
  args: string[];
  configPath: string | null;
  dataDir: string | null;
  output: string | null;
  /** The tracker (the first one given): share links use it. */
  tracker: string | null;
  /** Every tracker given (processes of one network, tried in turn); empty without a tracker. */
  trackers: string[];
  /** The tracker was chosen (flag or config), not the default. */
  trackerExplicit: boolean;
  lan: boolean;
  lanAddress: string;
  lanPort: number;
  lanInterface: string | undefined;
  port: number;
  portExplicit: boolean;
  maxPeers: number;
  uploadLimit: number | null;
  /** Hand out each chunk of a seeded file once while its recipient stays (PeerEngine.superSeed). */
  superSeed: boolean;
  logLevel: LogLevel;
  json: boolean;
  force: boolean;
  seed: boolean;
  watch: boolean;
  unlisted: boolean;
  limit: number;
  help: boolean;
  version: boolean;
}

export interface RawArgs {
  command: Command | null;
  positionals: string[];
  flags: Record<string, string | boolean | undefined>;
}

/** Splits argv into the command, its arguments and its flags; refuses unknown or misplaced options. */
export function parseArgv(argv: string[]): RawArgs {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      options: Object.fromEntries(Object.entries(OPTIONS).map(([k, o]) => [k, o.short ? { type: o.type, short: o.short } : { type: o.type }])),
      allowPositionals: true,
      strict: true
    });
  } catch (err) {
    throw new CliError('BAD_ARGUMENT', (err as Error).message.split('\n')[0]);
  }
  const [first, ...rest] = parsed.positionals;
  let command: Command | null = null;
  if (first !== undefined) {
    if (!Object.hasOwn(COMMANDS, first)) throw new CliError('BAD_ARGUMENT', `Unknown command ${JSON.stringify(first)}. Commands: ${Object.keys(COMMANDS).join(', ')}.`);
    command = first as Command;
  }
  const flags = parsed.values as Record<string, string | boolean | undefined>;
  if (command) {
    for (const name of Object.keys(flags)) {
      const spec = OPTIONS[name];
      if (spec.commands && !spec.commands.includes(command)) throw new CliError('BAD_ARGUMENT', `shoal ${command} does not take --${name}.`);
    }
  }
  return { command, positionals: rest, flags };
}

/** A flag's value by its rule in cli/settings-schema.ts, or BAD_ARGUMENT with the refusal. */
function flagValue<R extends (typeof FLAG_RULES)[keyof typeof FLAG_RULES]>(rule: R, flag: string, text: string): z.output<R['schema']> {
  const r = checkFlag(rule, flag, text);
  if (!r.ok) throw new CliError('BAD_ARGUMENT', r.message);
  return r.value;
}

/** `--tracker a,b`: several processes of one network, in order; each a tracker URL. */
export function parseTrackerUrls(text: string): string[] {
  const urls = text
    .split(',')
    .map((t) => t.trim())
    .filter(Boolean)
    .map(parseTrackerUrl);
  if (urls.length === 0) throw new CliError('BAD_ARGUMENT', 'Give a tracker URL.');
  return [...new Set(urls)];
}

export function parseTrackerUrl(text: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new CliError('BAD_ARGUMENT', `Not a URL: ${JSON.stringify(text)}`);
  }
  if (!['http:', 'https:', 'ws:', 'wss:'].includes(url.protocol)) throw new CliError('BAD_ARGUMENT', `A tracker URL must be http(s) or ws(s): ${text}`);
  return url.origin;
}

/**
 * Settings from flags over the config file over defaults, each value validated. `config` is the
 * parsed config file (already validated for its shape), if any.
 */
export function resolveSettings(raw: RawArgs, config: ConfigFile | null, configPath: string | null): Settings {
  const f = raw.flags;
  const c = config ?? {};
  const str = (name: string) => (typeof f[name] === 'string' ? (f[name] as string) : undefined);
  const bool = (name: string) => f[name] === true;
  if (bool('no-tracker') && str('tracker') !== undefined) throw new CliError('BAD_ARGUMENT', '--tracker and --no-tracker contradict each other.');
  if (bool('no-lan') && bool('lan')) throw new CliError('BAD_ARGUMENT', '--lan and --no-lan contradict each other.');

  let trackers: string[] = [DEFAULT_TRACKER_URL];
  let trackerExplicit = false;
  if (bool('no-tracker')) [trackers, trackerExplicit] = [[], true];
  else if (str('tracker') !== undefined) [trackers, trackerExplicit] = [parseTrackerUrls(str('tracker')!), true];
  else if (c.tracker !== undefined) [trackers, trackerExplicit] = [c.tracker === null ? [] : parseTrackerUrls(c.tracker), true];
  const tracker = trackers[0] ?? null;

  const logLevel = str('log-level') !== undefined ? flagValue(FLAG_RULES.logLevel, '--log-level', str('log-level')!) : (c.logLevel ?? 'warn');

  const portText = str('port');
  const limitText = str('limit');
  return {
    command: raw.command,
    args: raw.positionals,
    configPath,
    dataDir: str('data-dir') ?? c.dataDir ?? null,
    output: str('output') ?? c.output ?? null,
    tracker,
    trackers,
    trackerExplicit,
    lan: bool('no-lan') ? false : bool('lan') ? true : (c.lan ?? true),
    lanAddress: str('lan-address') !== undefined ? flagValue(FLAG_RULES.ipv4, '--lan-address', str('lan-address')!) : (c.lanAddress ?? DEFAULT_LAN_ADDRESS),
    lanPort: str('lan-port') !== undefined ? flagValue(FLAG_RULES.lanPort, '--lan-port', str('lan-port')!) : (c.lanPort ?? DEFAULT_LAN_PORT),
    lanInterface: str('lan-interface') !== undefined ? flagValue(FLAG_RULES.ipv4, '--lan-interface', str('lan-interface')!) : c.lanInterface,
    port: portText !== undefined ? flagValue(FLAG_RULES.port, '--port', portText) : (c.port ?? DEFAULT_TCP_PORT),
    portExplicit: portText !== undefined || c.port !== undefined,
    maxPeers: str('max-peers') !== undefined ? flagValue(FLAG_RULES.maxPeers, '--max-peers', str('max-peers')!) : (c.maxPeers ?? DEFAULT_MAX_PEERS),
    uploadLimit: str('upload-limit') !== undefined ? flagValue(FLAG_RULES.uploadLimit, '--upload-limit', str('upload-limit')!) : (c.uploadLimit ?? null),
    superSeed: bool('super-seed'),
    logLevel,
    json: bool('json') || (c.json ?? false),
    force: bool('force'),
    seed: bool('seed'),
    watch: bool('watch'),
    unlisted: bool('unlisted'),
    limit: limitText !== undefined ? flagValue(FLAG_RULES.limit, '--limit', limitText) : 20,
    help: bool('help'),
    version: bool('version')
  };
}

export function globalHelp(): string {
  const lines = ['Usage: shoal <command> [options]', '', 'The headless Shoal peer: seeds files from disk to browser tabs and to other machines on the LAN.', '', 'Commands:'];
  for (const [name, c] of Object.entries(COMMANDS)) lines.push(`  ${name.padEnd(8)} ${c.summary}`);
  lines.push('', 'Options:', ...optionLines(null));
  lines.push('', 'Run `shoal <command> --help` for the options of one command. See docs/NODE-PEER.md.');
  return lines.join('\n');
}

export function commandHelp(command: Command): string {
  const c = COMMANDS[command];
  const lines = [`Usage: shoal ${c.usage} [options]`, '', c.summary, ''];
  const extra: Record<Command, string[]> = {
    seed: [
      'Hashes each file (a folder: every file in it, recursively), prints its id and share link, and',
      'seeds until stopped (Ctrl-C). Files are read in place, never copied. With no arguments, seeds',
      'what the data directory already lists and watches the folders seed --watch remembered.'
    ],
    get: [
      'Downloads from every peer it can reach (tracker peers over WebRTC, LAN peers over TCP), checks',
      'every chunk, writes <name>.shoal-partial and renames it when the whole file is verified. Run',
      'it again after an interrupt to resume. Existing files are never overwritten without --force.'
    ],
    search: ['Searches the tracker\'s index by name (every word must occur in the name).'],
    whohas: ['Asks the tracker and the LAN which peers have the file, and how much of it.'],
    ls: ['Lists the files this peer shares or is downloading, from the data directory (no network).'],
    rm: [
      'Stops sharing the files and forgets the downloads, in the data directory (no network). Shared',
      'files stay on disk; the .shoal-partial file of an unfinished download is deleted. A running',
      'peer must be stopped first; in `shoal shell`, type rm instead. A folder that seed --watch',
      'remembered is no longer watched (its files stay shared until removed).'
    ],
    shell: [
      'Starts the peer (seeding what the data directory lists) and reads commands:',
      '  get <id-or-link>...   download in the background',
      '  myfiles               what this peer shares and downloads',
      '  share <path>          share a file or folder',
      '  whohas <id-or-link>   peers that have a file',
      '  search <query>        search the tracker',
      '  rm <id-or-link>...    stop sharing (files on disk stay; partial downloads are deleted)',
      '  peers                 connections, LAN peers, tracker, counters',
      '  exit                  stop the peer (also Ctrl-D)'
    ]
  };
  lines.push(...extra[command], '', 'Options:', ...optionLines(command));
  return lines.join('\n');
}

function optionLines(command: Command | null): string[] {
  const out: string[] = [];
  for (const [name, o] of Object.entries(OPTIONS)) {
    if (command && o.commands && !o.commands.includes(command)) continue;
    const flag = `${o.short ? `-${o.short}, ` : '    '}--${name}${o.value ? ` ${o.value}` : ''}`;
    out.push(`  ${flag.padEnd(30)} ${o.help}`);
  }
  return out;
}
