import { basename, dirname, resolve } from 'node:path';
import { cleanName } from '../src/lib/core/manifest.ts';
import { MAX_NAME_BYTES } from './constants.ts';
import { CliError } from './errors.ts';

/** Device names Windows reserves in any directory, with or without an extension. */
const RESERVED = /^(con|prn|aux|nul|com[0-9¹²³]|lpt[0-9¹²³]|conin\$|conout\$)(\.|$)/i;
/** Characters Windows forbids in names; replaced everywhere so a name is portable. */
const FORBIDDEN = /[<>:"|?*]/g;
/** Bidirectional controls can disguise an extension ("photo\u202Egpj.exe" shows as "photoexe.jpg"). */
const BIDI = /[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

const encoder = new TextEncoder();

/**
 * Makes a file name that came from the network safe to create in a directory: no path
 * separators, no `..`, no control or bidi characters, no Windows-reserved names or characters,
 * no trailing dots or spaces, at most MAX_NAME_BYTES of UTF-8 (keeping the extension when it
 * can). Never empty.
 */
export function safeFileName(name: string): string {
  let out = cleanName(name).replace(BIDI, '').replace(FORBIDDEN, '_');
  out = out.replace(/[\s.]+$/, '');
  out = cleanName(out); // removing characters may have left leading dots or spaces
  if (RESERVED.test(out)) out = `_${out}`;
  return truncateUtf8(out, MAX_NAME_BYTES);
}

/** Cuts `name` to at most `max` bytes of UTF-8 on a code-point boundary, keeping a short extension. */
export function truncateUtf8(name: string, max: number): string {
  if (encoder.encode(name).length <= max) return name;
  const dot = name.lastIndexOf('.');
  const ext = dot > 0 && name.length - dot <= 16 ? name.slice(dot) : '';
  const room = max - encoder.encode(ext).length;
  let stem = '';
  let bytes = 0;
  for (const ch of name.slice(0, name.length - ext.length)) {
    const n = encoder.encode(ch).length;
    if (bytes + n > room) break;
    stem += ch;
    bytes += n;
  }
  stem = stem.replace(/[\s.]+$/, '');
  return (stem || 'file') + ext;
}

/**
 * The absolute path of `name` directly inside `dir`. Throws BAD_ARGUMENT if the result would be
 * anywhere else (a name that `safeFileName` produced never is; this is the second lock).
 */
export function pathInside(dir: string, name: string): string {
  const root = resolve(dir);
  const full = resolve(root, name);
  if (dirname(full) !== root || basename(full) !== name || name === '.' || name === '..') {
    throw new CliError('BAD_ARGUMENT', `Refusing a file name that leaves the download directory: ${JSON.stringify(name)}.`);
  }
  return full;
}
