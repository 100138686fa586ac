import {
  HASH_BYTES,
  ID_HEX_LENGTH,
  MAX_CHUNK_SIZE,
  MAX_CHUNKS,
  MAX_FILE_SIZE,
  MAX_MIME_LENGTH,
  MAX_NAME_LENGTH,
  MIN_CHUNK_SIZE,
  PROTOCOL_VERSION
} from './constants.ts';
import { chunkCount } from './chunks.ts';
import { ManifestError } from './errors.ts';
import { fromHex, toHex } from './hex.ts';

/** SHA-256 supplied by the platform (WebCrypto in the browser, node:crypto in Node). */
export type Sha256 = (bytes: Uint8Array) => Promise<Uint8Array>;

/** What a peer needs to fetch and check a file. The content id covers everything but name and type. */
export interface Manifest {
  version: number;
  name: string;
  size: number;
  mimeType: string;
  chunkSize: number;
  /** SHA-256 of each chunk, lowercase hex. */
  chunkHashes: string[];
}

const ID_RE = /^[0-9a-f]{64}$/;
const HASH_RE = /^[0-9a-f]{64}$/;
/** ASCII "shoal", the first bytes of the canonical encoding. */
const MAGIC = [0x73, 0x68, 0x6f, 0x61, 0x6c];

export function isContentId(value: unknown): value is string {
  return typeof value === 'string' && ID_RE.test(value);
}

/** Accepts an id in any case, with surrounding space, or a share link `<origin>/d/<id>`; returns the id or throws BAD_ID. */
export function parseContentId(input: unknown): string {
  if (typeof input !== 'string') throw new ManifestError('BAD_ID', 'A content id must be a string.');
  let text = input.trim();
  const link = /\/d\/([0-9a-fA-F]+)\/?(?:[?#].*)?$/.exec(text);
  if (link) text = link[1];
  text = text.toLowerCase();
  if (!ID_RE.test(text)) {
    throw new ManifestError('BAD_ID', `Not a content id: expected ${ID_HEX_LENGTH} hex characters or a share link.`);
  }
  return text;
}

/**
 * Removes what a file name must not carry across the network: path separators, control
 * characters (C0, DEL and C1) and leading dots. The result is never empty.
 */
export function cleanName(name: string): string {
  // eslint-disable-next-line no-control-regex
  let out = name.replace(/[\u0000-\u001f\u007f-\u009f]/g, '').replace(/[/\\]/g, '_');
  // Leading dots and spaces together (". .x" must not leave " .x"); trailing spaces.
  out = out.replace(/^[\s.]+/, '').trimEnd();
  if (out.length > MAX_NAME_LENGTH) {
    out = out.slice(0, MAX_NAME_LENGTH);
    // Do not leave half of a surrogate pair at the cut, nor a space.
    if (/[\ud800-\udbff]$/.test(out)) out = out.slice(0, -1);
    out = out.trimEnd();
  }
  return out || 'file';
}

/** The canonical bytes the content id hashes: see docs/PROTOCOL.md, "Content id". */
export function encodeIdentity(m: Pick<Manifest, 'version' | 'size' | 'chunkSize' | 'chunkHashes'>): Uint8Array {
  const n = m.chunkHashes.length;
  const out = new Uint8Array(MAGIC.length + 1 + 8 + 4 + 4 + n * HASH_BYTES);
  const view = new DataView(out.buffer);
  out.set(MAGIC, 0);
  let o = MAGIC.length;
  out[o++] = m.version;
  view.setBigUint64(o, BigInt(m.size));
  o += 8;
  view.setUint32(o, m.chunkSize);
  o += 4;
  view.setUint32(o, n);
  o += 4;
  for (const h of m.chunkHashes) {
    const bytes = fromHex(h);
    if (!bytes || bytes.length !== HASH_BYTES) throw new ManifestError('BAD_MANIFEST', 'A chunk hash is not 32 bytes of hex.');
    out.set(bytes, o);
    o += HASH_BYTES;
  }
  return out;
}

export async function computeContentId(m: Manifest, sha256: Sha256): Promise<string> {
  return toHex(await sha256(encodeIdentity(m)));
}

function fail(message: string): never {
  throw new ManifestError('BAD_MANIFEST', message);
}

/** Parses an untrusted value into a Manifest, checking every field and its limits. */
export function parseManifest(value: unknown): Manifest {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) fail('A manifest must be an object.');
  const v = value as Record<string, unknown>;
  if (v.version !== PROTOCOL_VERSION) fail(`Unsupported manifest version: ${String(v.version)}.`);
  if (typeof v.name !== 'string' || v.name.length === 0 || v.name.length > MAX_NAME_LENGTH) {
    fail(`A manifest name must be 1 to ${MAX_NAME_LENGTH} characters.`);
  }
  if (typeof v.mimeType !== 'string' || v.mimeType.length > MAX_MIME_LENGTH) fail('Bad MIME type.');
  const size = v.size;
  if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0 || size > MAX_FILE_SIZE) fail('Bad size.');
  const chunkSize = v.chunkSize;
  if (
    typeof chunkSize !== 'number' ||
    !Number.isSafeInteger(chunkSize) ||
    chunkSize < MIN_CHUNK_SIZE ||
    chunkSize > MAX_CHUNK_SIZE
  ) {
    fail('Bad chunk size.');
  }
  const hashes = v.chunkHashes;
  if (!Array.isArray(hashes) || hashes.length > MAX_CHUNKS) fail('Bad chunk hash list.');
  if (hashes.length !== chunkCount(size, chunkSize)) fail('The number of chunk hashes does not fit size and chunk size.');
  for (const h of hashes) if (typeof h !== 'string' || !HASH_RE.test(h)) fail('A chunk hash is not 64 lowercase hex characters.');
  return {
    version: PROTOCOL_VERSION,
    name: cleanName(v.name),
    size,
    mimeType: v.mimeType,
    chunkSize,
    chunkHashes: hashes.slice() as string[]
  };
}

/** Parses a manifest and checks that it hashes to `id`; throws MANIFEST_MISMATCH otherwise. */
export async function verifyManifest(value: unknown, id: string, sha256: Sha256): Promise<Manifest> {
  const manifest = parseManifest(value);
  const actual = await computeContentId(manifest, sha256);
  if (actual !== id) throw new ManifestError('MANIFEST_MISMATCH', 'The manifest does not match its content id.');
  return manifest;
}

/** Builds a manifest from the chunk hashes a hasher produced. */
export function createManifest(input: { name: string; size: number; mimeType: string; chunkSize: number; chunkHashes: string[] }): Manifest {
  return parseManifest({ version: PROTOCOL_VERSION, ...input, name: cleanName(input.name) });
}
