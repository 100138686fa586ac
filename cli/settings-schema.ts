import { isIPv4 } from 'node:net';
import { resolve } from 'node:path';
import { z } from 'zod';
import { isLogLevel, type LogLevel } from '../src/lib/log.ts';
import { parseSize } from './format.ts';

/**
 * The Node peer's settings as zod schemas (STYLE.md §4): the rules once, for the two places
 * settings come from, the config file (JSON values, cli/config.ts) and the flags (text,
 * cli/args.ts). Each surface words a refusal its own way (the config file names the key, a flag
 * quotes the value as typed), so the rules carry no words: each surface maps a failed rule to its
 * message (CONFIG_MESSAGES, FLAG_RULES). cli/settings-messages.spec.ts holds every message.
 */

/** A port; 0 (any free port) only where allowed. */
const port = (min: 0 | 1) => z.number().int().min(min).max(65535);
const whole = (min: number, max: number) => z.number().int().min(min).max(max);
const ipv4 = z.string().refine((s) => isIPv4(s));
const logLevel = z.custom<LogLevel>((v) => isLogLevel(v));
/** Bytes per second, from a number or a size like "2M"; 0 is no limit (null). */
const rate = z.union([z.number(), z.string()]).transform((v, ctx) => {
  const n = typeof v === 'number' && Number.isInteger(v) && v > 0 ? v : parseSize(String(v));
  if (n === null) {
    ctx.addIssue({ code: 'custom', message: 'not a rate' }); // the surface words it
    return z.NEVER;
  }
  return n === 0 ? null : n;
});

// ---- the config file (docs/NODE-PEER.md, "Config file")

const text = z.string().min(1).max(4096);

/** The config file's schema; relative paths are resolved against `base`, the file's folder. */
function configSchema(base: string) {
  const path = text.transform((p) => resolve(base, p));
  return z.strictObject({
    tracker: z.preprocess((v) => (v === false ? null : v), text.nullable()).optional(),
    dataDir: path.optional(),
    output: path.optional(),
    port: port(0).optional(),
    lan: z.boolean().optional(),
    lanAddress: text.pipe(ipv4).optional(),
    lanPort: port(1).optional(),
    lanInterface: text.pipe(ipv4).optional(),
    maxPeers: whole(1, 1000).optional(),
    uploadLimit: z.union([z.null(), rate]).optional(),
    logLevel: logLevel.optional(),
    json: z.boolean().optional()
  });
}

export type ConfigFile = z.output<ReturnType<typeof configSchema>>;

/** The keys a config file may have, in the order they are checked. */
const CONFIG_KEYS = Object.keys(configSchema('/').shape) as (keyof ConfigFile)[];

const STRING = 'must be a non-empty string';
const BOOLEAN = 'must be true or false';
/** What a refusal says after the key; `text` for a value that is not a usable string at all, where the rule adds more. */
const CONFIG_MESSAGES: Record<keyof ConfigFile, { text?: string; value: string }> = {
  tracker: { value: STRING },
  dataDir: { value: STRING },
  output: { value: STRING },
  port: { value: 'must be a whole number from 0 to 65535' },
  lan: { value: BOOLEAN },
  lanAddress: { text: STRING, value: 'must be an IPv4 address' },
  lanPort: { value: 'must be a whole number from 1 to 65535' },
  lanInterface: { text: STRING, value: 'must be an IPv4 address' },
  maxPeers: { value: 'must be a whole number from 1 to 1000' },
  uploadLimit: { value: 'must be bytes per second or a rate like "2M"' },
  logLevel: { value: 'must be debug, info, warn, error or silent' },
  json: { value: BOOLEAN }
};

/**
 * Checks a config file's parsed JSON: the settings, or what is wrong with it (without the file's
 * name). An unknown key is named first, then the first bad key in CONFIG_KEYS order.
 */
export function checkConfig(value: unknown, base: string): { ok: true; config: ConfigFile } | { ok: false; message: string } {
  const r = configSchema(base).safeParse(value);
  if (r.success) return { ok: true, config: r.data };
  const unknown = r.error.issues.find((i) => i.code === 'unrecognized_keys');
  if (unknown) return { ok: false, message: `unknown key ${JSON.stringify(unknown.keys[0])} (known: ${CONFIG_KEYS.join(', ')})` };
  const issue = r.error.issues[0]!;
  const key = issue.path[0] as keyof ConfigFile | undefined;
  if (key === undefined) return { ok: false, message: 'must hold a JSON object' };
  const words = CONFIG_MESSAGES[key];
  // Only the address check itself is `custom`; before it, the value was not a string of 1-4096 characters.
  const message = words.text && issue.code !== 'custom' ? words.text : words.value;
  return { ok: false, message: `${key} ${message}` };
}

// ---- the flags: text as typed

/** Decimal digits only (no sign, exponent or space), at most `max` of them if given. */
const digits = (max?: number) => z.string().regex(max ? new RegExp(`^\\d{1,${max}}$`) : /^\d+$/).transform(Number);

/** Each flag's rule and its refusal (which quotes the text as typed). */
export const FLAG_RULES = {
  port: { schema: digits(5).pipe(port(0)), message: 'must be a port number (0-65535)' },
  lanPort: { schema: digits(5).pipe(port(1)), message: 'must be a port number (1-65535)' },
  ipv4: { schema: ipv4, message: 'must be an IPv4 address' },
  maxPeers: { schema: digits().pipe(whole(1, 1000)), message: 'must be a whole number from 1 to 1000' },
  limit: { schema: digits().pipe(whole(1, 100)), message: 'must be a whole number from 1 to 100' },
  uploadLimit: { schema: rate, message: 'must be a rate like 500K or 2M' },
  logLevel: { schema: logLevel, message: 'must be debug, info, warn, error or silent' }
} satisfies Record<string, { schema: z.ZodType; message: string }>;

/** The flag's value by its rule, or the refusal: `<flag> <words>: "<text>"`. */
export function checkFlag<R extends (typeof FLAG_RULES)[keyof typeof FLAG_RULES]>(rule: R, flag: string, value: string): { ok: true; value: z.output<R['schema']> } | { ok: false; message: string } {
  const r = rule.schema.safeParse(value);
  if (r.success) return { ok: true, value: r.data as z.output<R['schema']> };
  return { ok: false, message: `${flag} ${rule.message}: ${JSON.stringify(value)}` };
}
