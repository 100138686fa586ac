import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { MAX_CHUNK_SIZE, MAX_CHUNKS, MAX_MIME_LENGTH, MAX_NAME_LENGTH, MIN_CHUNK_SIZE, PROTOCOL_VERSION } from './constants.ts';
import { ManifestError } from './errors.ts';
import {
  cleanName,
  computeContentId,
  createManifest,
  encodeIdentity,
  isContentId,
  parseContentId,
  parseManifest,
  verifyManifest,
  type Manifest
} from './manifest.ts';

const sha256 = async (bytes: Uint8Array) => new Uint8Array(createHash('sha256').update(bytes).digest());
const hexHash = (bytes: Uint8Array | string) => createHash('sha256').update(bytes).digest('hex');

/** Runs fn and returns the code of the ManifestError it throws; fails the test on anything else. */
function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    if (e instanceof ManifestError) return e.code;
    throw new Error(`Expected a ManifestError, got ${String(e)}`);
  }
  throw new Error('Expected a ManifestError, nothing was thrown');
}

async function asyncCodeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    if (e instanceof ManifestError) return e.code;
    throw new Error(`Expected a ManifestError, got ${String(e)}`);
  }
  throw new Error('Expected a ManifestError, nothing was thrown');
}

const H = (n: number) => hexHash(`chunk ${n}`);
const MiB = 1024 * 1024;

/** A valid three-chunk manifest (2 MiB + 5 bytes at 1 MiB chunks). */
function base(): Manifest {
  return { version: 1, name: 'movie.mkv', size: 2 * MiB + 5, mimeType: 'video/x-matroska', chunkSize: MiB, chunkHashes: [H(0), H(1), H(2)] };
}

describe('content id', () => {
  it('is deterministic and 64 lowercase hex', async () => {
    const a = await computeContentId(base(), sha256);
    const b = await computeContentId(base(), sha256);
    expect(a).toBe(b);
    expect(a).toMatch(/^[0-9a-f]{64}$/);
    expect(isContentId(a)).toBe(true);
  });

  it('does not depend on name or MIME type', async () => {
    const id = await computeContentId(base(), sha256);
    expect(await computeContentId({ ...base(), name: 'other name.bin' }, sha256)).toBe(id);
    expect(await computeContentId({ ...base(), mimeType: 'application/octet-stream' }, sha256)).toBe(id);
    expect(await computeContentId({ ...base(), mimeType: '' }, sha256)).toBe(id);
  });

  it('changes when any byte of any chunk hash changes', async () => {
    const id = await computeContentId(base(), sha256);
    const seen = new Set([id]);
    for (let h = 0; h < 3; h++) {
      for (const pos of [0, 31, 63]) {
        const m = base();
        const c = m.chunkHashes[h][pos];
        m.chunkHashes[h] = m.chunkHashes[h].slice(0, pos) + (c === '0' ? '1' : '0') + m.chunkHashes[h].slice(pos + 1);
        seen.add(await computeContentId(m, sha256));
      }
    }
    expect(seen.size).toBe(1 + 9);
  });

  it('changes with the order of the chunk hashes', async () => {
    const m = base();
    m.chunkHashes = [H(1), H(0), H(2)];
    expect(await computeContentId(m, sha256)).not.toBe(await computeContentId(base(), sha256));
  });

  it('changes with size, chunk size and version', async () => {
    const id = await computeContentId(base(), sha256);
    const variants: Manifest[] = [
      { ...base(), size: 2 * MiB + 6 },
      { ...base(), size: 2 * MiB + 1 },
      { ...base(), size: 3 * MiB },
      { ...base(), chunkSize: MiB + 16 * 1024 },
      { ...base(), version: 2 }
    ];
    const ids = await Promise.all(variants.map((m) => computeContentId(m, sha256)));
    expect(new Set([id, ...ids]).size).toBe(1 + variants.length);
  });

  it('matches a known-answer vector for a 12-byte file (docs/PROTOCOL.md)', async () => {
    const content = new TextEncoder().encode('hello shoal\n');
    const chunkHash = hexHash(content);
    expect(chunkHash).toBe('1a905ea6ad3b406d6199686bef1963e1172e869326606d86063f020d769d112f');
    // Encoded by hand, field by field, independently of encodeIdentity.
    const expected = Buffer.from(
      '73686f616c' + // "shoal"
        '01' + // version
        '000000000000000c' + // size 12, u64 big-endian
        '00100000' + // chunk size 1048576, u32 big-endian
        '00000001' + // one chunk hash
        chunkHash,
      'hex'
    );
    expect(expected.length).toBe(54);
    const m = createManifest({ name: 'hello.txt', size: 12, mimeType: 'text/plain', chunkSize: MiB, chunkHashes: [chunkHash] });
    expect(Buffer.from(encodeIdentity(m)).toString('hex')).toBe(expected.toString('hex'));
    const id = await computeContentId(m, sha256);
    expect(id).toBe(hexHash(expected));
    expect(id).toBe('98b659bc84afc041139a29f516db93c95dd611a078d479d8aefff721811da6a8');
  });

  it('matches a known-answer vector for an empty file', async () => {
    const expected = '73686f616c' + '01' + '0000000000000000' + '00100000' + '00000000';
    const m = createManifest({ name: 'empty', size: 0, mimeType: '', chunkSize: MiB, chunkHashes: [] });
    expect(Buffer.from(encodeIdentity(m)).toString('hex')).toBe(expected);
    expect(await computeContentId(m, sha256)).toBe('58e155bf2a3a37c0a55aba3b5005473c9bd3442be5b2f04b0541493a97378ce8');
  });

  it('encodes sizes above 2^32 as a full 64-bit big-endian integer', () => {
    const size = 2 ** 40 + 0x0102_0304;
    const chunkSize = MAX_CHUNK_SIZE;
    const hashes = Array.from({ length: Math.ceil(size / chunkSize) }, (_, i) => H(i));
    const bytes = encodeIdentity({ version: 1, size, chunkSize, chunkHashes: hashes });
    expect(Buffer.from(bytes.subarray(6, 14)).toString('hex')).toBe('0000010001020304');
    expect(Buffer.from(bytes.subarray(14, 18)).toString('hex')).toBe('40000000');
    expect(Buffer.from(bytes.subarray(18, 22)).readUInt32BE(0)).toBe(1025);
    expect(bytes.length).toBe(22 + 32 * 1025);
  });

  it('refuses chunk hashes that are not 32 bytes of hex', () => {
    for (const bad of ['zz'.repeat(32), 'ab'.repeat(31), 'ab'.repeat(33), 'abc']) {
      expect(codeOf(() => encodeIdentity({ version: 1, size: 1, chunkSize: MiB, chunkHashes: [bad] }))).toBe('BAD_MANIFEST');
    }
  });
});

describe('isContentId', () => {
  it('accepts only 64 lowercase hex characters', () => {
    expect(isContentId('a'.repeat(64))).toBe(true);
    expect(isContentId('A'.repeat(64))).toBe(false);
    expect(isContentId('a'.repeat(63))).toBe(false);
    expect(isContentId(` ${'a'.repeat(64)}`)).toBe(false);
    expect(isContentId(42)).toBe(false);
    expect(isContentId(null)).toBe(false);
  });
});

describe('parseContentId', () => {
  const id = hexHash('some file');

  it('accepts a bare id, in any case, with surrounding whitespace', () => {
    expect(parseContentId(id)).toBe(id);
    expect(parseContentId(id.toUpperCase())).toBe(id);
    expect(parseContentId(`  ${id}\n`)).toBe(id);
    expect(parseContentId(`\t${id.toUpperCase()} `)).toBe(id);
  });

  it('accepts share links', () => {
    for (const link of [
      `https://shoal.example/d/${id}`,
      `http://localhost:5173/d/${id}/`,
      `https://shoal.example/d/${id}?from=chat`,
      `https://shoal.example/d/${id}#top`,
      `https://shoal.example/d/${id.toUpperCase()}`,
      ` /d/${id} `
    ]) {
      expect(parseContentId(link)).toBe(id);
    }
  });

  it('refuses garbage and wrong lengths with BAD_ID', () => {
    for (const bad of [
      '',
      '   ',
      'hello',
      id.slice(1),
      `${id}0`,
      `${id.slice(1)}g`,
      `${id.slice(0, 32)} ${id.slice(32)}`,
      `0x${id.slice(2)}`,
      `https://shoal.example/d/${id.slice(1)}`,
      `https://shoal.example/d/${id}0`,
      `https://shoal.example/x/${id}/more`,
      `https://shoal.example/d/`
    ]) {
      expect(codeOf(() => parseContentId(bad)), bad).toBe('BAD_ID');
    }
  });

  it('refuses anything that is not a string with BAD_ID', () => {
    for (const bad of [undefined, null, 42, {}, [id], { id }, Buffer.from(id), new String(id)]) {
      expect(codeOf(() => parseContentId(bad))).toBe('BAD_ID');
    }
  });
});

describe('parseManifest', () => {
  it('accepts a valid manifest and returns exactly its fields', () => {
    const input = { ...base(), extra: 'ignored', __proto__: { polluted: true } };
    const m = parseManifest(input);
    expect(m).toEqual(base());
    expect(Object.keys(m).sort()).toEqual(['chunkHashes', 'chunkSize', 'mimeType', 'name', 'size', 'version']);
  });

  it('copies the hash list', () => {
    const input = base();
    const m = parseManifest(input);
    input.chunkHashes[0] = H(99);
    expect(m.chunkHashes[0]).toBe(H(0));
  });

  it('accepts an empty file and an empty MIME type', () => {
    const m = parseManifest({ ...base(), size: 0, chunkHashes: [], mimeType: '' });
    expect(m.size).toBe(0);
    expect(m.chunkHashes).toEqual([]);
  });

  it('accepts the limits themselves', { timeout: 30_000 }, () => {
    expect(parseManifest({ ...base(), name: 'n'.repeat(MAX_NAME_LENGTH) }).name).toHaveLength(MAX_NAME_LENGTH);
    expect(parseManifest({ ...base(), mimeType: 'm'.repeat(MAX_MIME_LENGTH) }).mimeType).toHaveLength(MAX_MIME_LENGTH);
    expect(parseManifest({ ...base(), size: 1, chunkSize: MIN_CHUNK_SIZE, chunkHashes: [H(0)] }).chunkSize).toBe(MIN_CHUNK_SIZE);
    expect(parseManifest({ ...base(), size: 1, chunkSize: MAX_CHUNK_SIZE, chunkHashes: [H(0)] }).chunkSize).toBe(MAX_CHUNK_SIZE);
    const many = Array.from({ length: MAX_CHUNKS }, (_, i) => H(i));
    expect(parseManifest({ ...base(), size: MAX_CHUNKS * MIN_CHUNK_SIZE, chunkSize: MIN_CHUNK_SIZE, chunkHashes: many }).chunkHashes).toHaveLength(
      MAX_CHUNKS
    );
  });

  it('refuses a value that is not an object', () => {
    for (const bad of [undefined, null, 1, 'manifest', true, [base()], () => base()]) {
      expect(codeOf(() => parseManifest(bad))).toBe('BAD_MANIFEST');
    }
  });

  const invalid: Array<[string, Record<string, unknown>]> = [
    ['version missing', { version: undefined }],
    ['version 0', { version: 0 }],
    ['version 2', { version: PROTOCOL_VERSION + 1 }],
    ['version as string', { version: '1' }],
    ['name missing', { name: undefined }],
    ['name empty', { name: '' }],
    ['name not a string', { name: 42 }],
    ['name too long', { name: 'n'.repeat(MAX_NAME_LENGTH + 1) }],
    ['mimeType missing', { mimeType: undefined }],
    ['mimeType not a string', { mimeType: ['text/plain'] }],
    ['mimeType too long', { mimeType: 'm'.repeat(MAX_MIME_LENGTH + 1) }],
    ['size missing', { size: undefined }],
    ['size negative', { size: -1, chunkHashes: [] }],
    ['size fractional', { size: 2 * MiB + 4.5 }],
    ['size NaN', { size: NaN }],
    ['size Infinity', { size: Infinity }],
    ['size as string', { size: String(2 * MiB + 5) }],
    ['size as bigint', { size: BigInt(2 * MiB + 5) }],
    ['size beyond safe integers', { size: 2 ** 53 + 2 }],
    ['chunkSize missing', { chunkSize: undefined }],
    ['chunkSize zero', { chunkSize: 0 }],
    ['chunkSize below minimum', { chunkSize: MIN_CHUNK_SIZE - 1, size: 3 * (MIN_CHUNK_SIZE - 1) }],
    ['chunkSize above maximum', { chunkSize: MAX_CHUNK_SIZE + 1, size: 3 * (MAX_CHUNK_SIZE + 1) }],
    ['chunkSize fractional', { chunkSize: MiB + 0.5 }],
    ['chunkSize as string', { chunkSize: String(MiB) }],
    ['chunkHashes missing', { chunkHashes: undefined }],
    ['chunkHashes not an array', { chunkHashes: { 0: H(0), 1: H(1), 2: H(2), length: 3 } }],
    ['chunkHashes as string', { chunkHashes: H(0) + H(1) + H(2) }],
    ['one hash too few', { chunkHashes: [H(0), H(1)] }],
    ['one hash too many', { chunkHashes: [H(0), H(1), H(2), H(3)] }],
    ['hash uppercase', { chunkHashes: [H(0), H(1).toUpperCase(), H(2)] }],
    ['hash 63 characters', { chunkHashes: [H(0), H(1).slice(1), H(2)] }],
    ['hash 65 characters', { chunkHashes: [H(0), `${H(1)}0`, H(2)] }],
    ['hash not hex', { chunkHashes: [H(0), `${H(1).slice(1)}g`, H(2)] }],
    ['hash not a string', { chunkHashes: [H(0), 7, H(2)] }],
    ['hash null', { chunkHashes: [H(0), null, H(2)] }],
    ['hash list with a hole', { chunkHashes: [H(0), , H(2)] }], // eslint-disable-line no-sparse-arrays
    ['hash as bytes', { chunkHashes: [H(0), Buffer.from(H(1), 'hex'), H(2)] }]
  ];
  for (const [what, patch] of invalid) {
    it(`refuses ${what}`, () => {
      const input: Record<string, unknown> = { ...base(), ...patch };
      for (const [k, v] of Object.entries(patch)) if (v === undefined) delete input[k];
      expect(codeOf(() => parseManifest(input))).toBe('BAD_MANIFEST');
    });
  }

  it('refuses huge hash arrays before looking at their entries', () => {
    // The size and chunk size agree with the array's length, so only the MAX_CHUNKS limit stops it.
    for (const length of [MAX_CHUNKS + 1, 50_000_000]) {
      let reads = 0;
      const hashes = new Proxy(new Array<string>(length), {
        get(target, key, receiver) {
          if (typeof key === 'string' && /^\d+$/.test(key)) reads++;
          if (key === Symbol.iterator) reads++;
          return Reflect.get(target, key, receiver);
        }
      });
      expect(Array.isArray(hashes)).toBe(true);
      const input = { ...base(), size: length * MIN_CHUNK_SIZE, chunkSize: MIN_CHUNK_SIZE, chunkHashes: hashes };
      expect(codeOf(() => parseManifest(input))).toBe('BAD_MANIFEST');
      expect(reads).toBe(0);
    }
    const hashes = Array.from({ length: 10 }, (_, i) => H(i));
    const dense = Array.from({ length: MAX_CHUNKS + 1 }, (_, i) => hashes[i % 10]);
    expect(
      codeOf(() => parseManifest({ ...base(), size: (MAX_CHUNKS + 1) * MIN_CHUNK_SIZE, chunkSize: MIN_CHUNK_SIZE, chunkHashes: dense }))
    ).toBe('BAD_MANIFEST');
  });

  it('cleans names with path separators and control characters', () => {
    const cases: Array<[string, string]> = [
      ['a/b\\c.txt', 'a_b_c.txt'],
      ['../../etc/passwd', '_.._etc_passwd'],
      ['..\\..\\boot.ini', '_.._boot.ini'],
      ['/abs', '_abs'],
      ['a\u0000b\nc\r\td\u001b\u007f.txt', 'abcd.txt'],
      ['x\u0085y\u009f.txt', 'xy.txt'],
      ['.hidden', 'hidden'],
      ['. .x', 'x'],
      [' . hidden ', 'hidden'],
      ['...', 'file'],
      ['  spaced  ', 'spaced'],
      ['\u0000\u0001', 'file'],
      ['naïve résumé 日本.pdf', 'naïve résumé 日本.pdf']
    ];
    for (const [name, expected] of cases) {
      expect(parseManifest({ ...base(), name }).name, JSON.stringify(name)).toBe(expected);
    }
  });
});

describe('cleanName', () => {
  it('truncates to the name limit', () => {
    expect(cleanName('x'.repeat(1000))).toBe('x'.repeat(MAX_NAME_LENGTH));
  });

  it('does not cut a character in half or leave a space at the cut', () => {
    expect(cleanName(`${'a'.repeat(MAX_NAME_LENGTH - 1)}🐟`)).toBe('a'.repeat(MAX_NAME_LENGTH - 1));
    expect(cleanName(`${'a'.repeat(MAX_NAME_LENGTH - 2)}🐟`)).toBe(`${'a'.repeat(MAX_NAME_LENGTH - 2)}🐟`);
    expect(cleanName(`${'a'.repeat(MAX_NAME_LENGTH - 1)} b`)).toBe('a'.repeat(MAX_NAME_LENGTH - 1));
  });

  it('always yields a safe, non-empty name (fuzz)', { timeout: 30_000 }, () => {
    let seed = 12345;
    const rand = (n: number) => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) % n);
    const alphabet = ['a', 'Z', '.', '/', '\\', ' ', '\t', '\n', '\u0000', '\u001f', '\u007f', '\u0085', '\u009b', 'é', '日', '🐟', '\u00a0', '-', '_'];
    for (let i = 0; i < 3000; i++) {
      let s = '';
      const len = rand(300);
      for (let j = 0; j < len; j++) s += alphabet[rand(alphabet.length)];
      const out = cleanName(s);
      expect(out.length).toBeGreaterThan(0);
      expect(out.length).toBeLessThanOrEqual(MAX_NAME_LENGTH);
      expect(out).not.toMatch(/[/\\\u0000-\u001f\u007f-\u009f]/); // eslint-disable-line no-control-regex
      expect(out.startsWith('.')).toBe(false);
      expect(out).not.toMatch(/^\s|\s$/);
      expect(out).not.toMatch(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/);
      expect(cleanName(out)).toBe(out); // cleaning is idempotent
    }
  });
});

describe('createManifest', () => {
  it('cleans the name first, so an over-long or unsafe name is still accepted', () => {
    const m = createManifest({ ...base(), name: `dir/${'y'.repeat(400)}` });
    expect(m.name).toBe(`dir_${'y'.repeat(MAX_NAME_LENGTH - 4)}`);
    expect(m.version).toBe(PROTOCOL_VERSION);
  });

  it('validates everything else', () => {
    expect(codeOf(() => createManifest({ ...base(), size: -5 }))).toBe('BAD_MANIFEST');
    expect(codeOf(() => createManifest({ ...base(), chunkHashes: [H(0)] }))).toBe('BAD_MANIFEST');
  });
});

describe('verifyManifest', () => {
  it('returns the parsed manifest when it hashes to the id', async () => {
    const id = await computeContentId(base(), sha256);
    expect(await verifyManifest(base(), id, sha256)).toEqual(base());
    // Name and type are not covered by the id: a renamed manifest still verifies.
    const renamed = await verifyManifest({ ...base(), name: 'a/b', mimeType: 'x/y' }, id, sha256);
    expect(renamed.name).toBe('a_b');
  });

  it('throws MANIFEST_MISMATCH for any change to the covered fields', async () => {
    const id = await computeContentId(base(), sha256);
    const changed: Manifest[] = [
      { ...base(), chunkHashes: [H(0), H(1), H(3)] },
      { ...base(), size: 2 * MiB + 4 },
      { ...base(), chunkSize: 2 * MiB, size: 4 * MiB + 5 }
    ];
    for (const m of changed) expect(await asyncCodeOf(verifyManifest(m, id, sha256))).toBe('MANIFEST_MISMATCH');
    expect(await asyncCodeOf(verifyManifest(base(), hexHash('another id'), sha256))).toBe('MANIFEST_MISMATCH');
  });

  it('throws BAD_MANIFEST, not a mismatch, for an invalid manifest', async () => {
    const id = await computeContentId(base(), sha256);
    expect(await asyncCodeOf(verifyManifest({ ...base(), size: 'big' }, id, sha256))).toBe('BAD_MANIFEST');
    expect(await asyncCodeOf(verifyManifest(null, id, sha256))).toBe('BAD_MANIFEST');
  });
});
