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

export class TrackerError extends Error {
  readonly code: TrackerErrorCode;
  constructor(code: TrackerErrorCode, message: string) {
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
