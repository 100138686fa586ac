import { describe, expect, it } from 'vitest';
import { ChunkError, ManifestError, ShoalError, WireError } from './errors.ts';

describe('error classes', () => {
  it('carry their code, name and message and are ShoalErrors', () => {
    const cases = [
      [new ManifestError('BAD_ID', 'm1'), 'ManifestError', 'BAD_ID'],
      [new ManifestError('MANIFEST_MISMATCH', 'm2'), 'ManifestError', 'MANIFEST_MISMATCH'],
      [new WireError('WIRE_VERSION', 'm3'), 'WireError', 'WIRE_VERSION'],
      [new ChunkError('CHUNK_HASH_MISMATCH', 'm4'), 'ChunkError', 'CHUNK_HASH_MISMATCH']
    ] as const;
    for (const [err, name, code] of cases) {
      expect(err).toBeInstanceOf(Error);
      expect(err).toBeInstanceOf(ShoalError);
      expect(err.name).toBe(name);
      expect(err.code).toBe(code);
      expect(err.message).toMatch(/^m\d$/);
    }
  });

  it('keep the subclasses apart', () => {
    expect(new WireError('WIRE_MALFORMED', 'x')).not.toBeInstanceOf(ManifestError);
    expect(new ManifestError('BAD_MANIFEST', 'x')).not.toBeInstanceOf(WireError);
    expect(new ChunkError('BAD_CHUNK', 'x')).not.toBeInstanceOf(WireError);
  });
});
