/** Codes a tracker ack or REST error carries (docs/TRACKER.md, "Errors"). Callers branch on these. */
export const TRACKER_ERROR_CODES = [
  'BAD_REQUEST',
  'NOT_FOUND',
  'MANIFEST_MISMATCH',
  'RATE_LIMITED',
  'PEER_GONE',
  'FORBIDDEN',
  'INTERNAL'
] as const;

export type TrackerErrorCode = (typeof TRACKER_ERROR_CODES)[number];

/**
 * Codes a tracker client (peer/tracker-client.ts) adds for failures on its side of the
 * connection; the tracker never answers with these.
 */
export type TrackerClientErrorCode = 'CLOSED' | 'TRACKER_UNREACHABLE' | 'TIMEOUT' | 'BAD_RESPONSE';

export function isTrackerErrorCode(code: unknown): code is TrackerErrorCode {
  return typeof code === 'string' && (TRACKER_ERROR_CODES as readonly string[]).includes(code);
}

/**
 * The tracker layer's one error: thrown by the tracker's commands (with the codes it answers
 * with) and by the client that talks to it (with those, as answered, or a client code).
 */
export class TrackerError<C extends TrackerErrorCode | TrackerClientErrorCode = TrackerErrorCode | TrackerClientErrorCode> extends Error {
  readonly code: C;
  constructor(code: C, message: string) {
    super(message);
    this.name = 'TrackerError';
    this.code = code;
  }
}

/** HTTP status for each code, used by the REST API. */
export const HTTP_STATUS: Record<TrackerErrorCode, number> = {
  BAD_REQUEST: 400,
  NOT_FOUND: 404,
  MANIFEST_MISMATCH: 400,
  RATE_LIMITED: 429,
  PEER_GONE: 404,
  FORBIDDEN: 403,
  INTERNAL: 500
};
