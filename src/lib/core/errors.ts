/**
 * Errors are values with stable codes (STYLE.md §5): callers branch on `code`, never on text.
 * The full list of codes is in README.md ("Error codes").
 */
export type ShoalErrorCode =
  | 'BAD_ID'
  | 'BAD_MANIFEST'
  | 'MANIFEST_MISMATCH'
  | 'BAD_CHUNK'
  | 'CHUNK_HASH_MISMATCH'
  | 'WIRE_MALFORMED'
  | 'WIRE_TOO_LARGE'
  | 'WIRE_UNKNOWN_TYPE'
  | 'WIRE_VERSION';

export class ShoalError extends Error {
  readonly code: ShoalErrorCode;
  constructor(code: ShoalErrorCode, message: string) {
    super(message);
    this.name = 'ShoalError';
    this.code = code;
  }
}

/** Raised by the manifest and content-id functions. */
export class ManifestError extends ShoalError {
  constructor(code: 'BAD_ID' | 'BAD_MANIFEST' | 'MANIFEST_MISMATCH', message: string) {
    super(code, message);
    this.name = 'ManifestError';
  }
}

/** Raised by the wire codec for any input that is not a valid message. */
export class WireError extends ShoalError {
  constructor(code: 'WIRE_MALFORMED' | 'WIRE_TOO_LARGE' | 'WIRE_UNKNOWN_TYPE' | 'WIRE_VERSION', message: string) {
    super(code, message);
    this.name = 'WireError';
  }
}

/** Raised when a chunk does not match the manifest. */
export class ChunkError extends ShoalError {
  constructor(code: 'BAD_CHUNK' | 'CHUNK_HASH_MISMATCH', message: string) {
    super(code, message);
    this.name = 'ChunkError';
  }
}
