/**
 * Schemas of every Socket.IO payload and of the handshake (STYLE.md §4). They turn `unknown`
 * into typed requests with size limits; nothing behind them sees raw input. No Node imports:
 * the browser client may import these to type its calls.
 */
import { z } from 'zod';
import {
  MAX_ANNOUNCE_FILES,
  MAX_ANNOUNCE_MANIFEST_JSON_BYTES,
  MAX_QUERY_LENGTH,
  MAX_SEARCH_CANDIDATES,
  MAX_SEARCH_LIMIT,
  DEFAULT_SEARCH_LIMIT,
  MAX_REPORT_BYTES,
  MAX_REPORT_COMPLETED,
  MAX_SIGNAL_JSON_BYTES
} from './constants.ts';
import { MAX_CHUNKS } from '../core/constants.ts';

/** A content id: 64 lowercase hex characters (core `isContentId`). */
export const contentIdSchema = z.string().length(64).regex(/^[0-9a-f]{64}$/, 'must be 64 lowercase hex characters');

/** A public peer id: the first 32 hex characters of SHA-256(token). */
export const peerIdSchema = z.string().length(32).regex(/^[0-9a-f]{32}$/, 'must be 32 lowercase hex characters');

export const visibilitySchema = z.enum(['public', 'unlisted']);
export type Visibility = z.infer<typeof visibilitySchema>;

export const peerKindSchema = z.enum(['browser', 'node']);
export type PeerKind = z.infer<typeof peerKindSchema>;

/** Handshake `auth`: a client secret and what kind of peer this is. */
export const authSchema = z.object({
  token: z
    .string()
    .min(32, 'token must be at least 32 characters')
    .max(128, 'token must be at most 128 characters')
    .regex(/^[A-Za-z0-9_-]+$/, 'token must use only A-Z a-z 0-9 _ -'),
  kind: peerKindSchema
});

/** UTF-8 length of a string without allocating. */
export function utf8Length(text: string): number {
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c <= 0xdbff) {
      n += 4;
      i++;
    } else n += 3;
  }
  return n;
}

/** Serializes a value as JSON if it can be, else returns undefined (cycles, BigInt, depth). */
export function toJson(value: unknown): string | undefined {
  try {
    return JSON.stringify(value);
  } catch {
    return undefined;
  }
}

/** Any JSON value at most `maxBytes` long once serialized; the parsed value is a plain JSON copy. */
function jsonValue(maxBytes: number, what: string) {
  return z.unknown().transform((value, ctx) => {
    const text = value === undefined ? undefined : toJson(value);
    if (text === undefined) {
      ctx.addIssue({ code: 'custom', message: `${what} must be a JSON value` });
      return z.NEVER;
    }
    if (text.length > maxBytes || utf8Length(text) > maxBytes) {
      ctx.addIssue({ code: 'custom', message: `${what} is larger than ${maxBytes} bytes as JSON` });
      return z.NEVER;
    }
    return JSON.parse(text) as unknown;
  });
}

/** A manifest as sent: checked for size here, for shape and id by core `verifyManifest` later. */
const manifestPayload = z.unknown().superRefine((value, ctx) => {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    ctx.addIssue({ code: 'custom', message: 'manifest must be an object' });
    return;
  }
  const text = toJson(value);
  if (text === undefined || text.length > MAX_ANNOUNCE_MANIFEST_JSON_BYTES || utf8Length(text) > MAX_ANNOUNCE_MANIFEST_JSON_BYTES) {
    ctx.addIssue({ code: 'custom', message: `manifest must be JSON of at most ${MAX_ANNOUNCE_MANIFEST_JSON_BYTES} bytes` });
  }
});

export const helloSchema = z.object({});
export const heartbeatSchema = z.object({});

export const announceSchema = z.object({
  files: z
    .array(
      z.object({
        id: contentIdSchema,
        manifest: manifestPayload.optional(),
        have: z.number().int().min(0).max(MAX_CHUNKS),
        visibility: visibilitySchema.optional()
      })
    )
    .min(1)
    .max(MAX_ANNOUNCE_FILES)
});
export type AnnounceRequest = z.infer<typeof announceSchema>;

export const unannounceSchema = z.object({
  ids: z.array(contentIdSchema).min(1).max(MAX_ANNOUNCE_FILES)
});
export type UnannounceRequest = z.infer<typeof unannounceSchema>;

export const whohasSchema = z.object({ id: contentIdSchema });
export const manifestSchema = z.object({ id: contentIdSchema });

export const signalSchema = z.object({
  to: peerIdSchema,
  data: jsonValue(MAX_SIGNAL_JSON_BYTES, 'data')
});
export type SignalRequest = z.infer<typeof signalSchema>;

export const searchSchema = z.object({
  q: z.string().max(MAX_QUERY_LENGTH),
  limit: z.number().int().min(1).max(MAX_SEARCH_LIMIT).default(DEFAULT_SEARCH_LIMIT),
  offset: z.number().int().min(0).max(MAX_SEARCH_CANDIDATES).default(0)
});
export type SearchRequest = z.infer<typeof searchSchema>;

/** Transfer report: bytes moved and downloads completed since the peer's previous report. */
export const reportSchema = z.object({
  up: z.number().int().min(0).max(MAX_REPORT_BYTES),
  down: z.number().int().min(0).max(MAX_REPORT_BYTES),
  completed: z.number().int().min(0).max(MAX_REPORT_COMPLETED)
});
export type ReportRequest = z.infer<typeof reportSchema>;

/** RTCIceServer as the server is configured with (env SHOAL_ICE_SERVERS). */
export const iceServerSchema = z.object({
  urls: z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]),
  username: z.string().optional(),
  credential: z.string().optional()
});
export type IceServer = z.infer<typeof iceServerSchema>;
export const iceServersSchema = z.array(iceServerSchema).max(16);

/** RTCConfiguration.iceTransportPolicy handed to clients (env SHOAL_ICE_TRANSPORT_POLICY). */
export const iceTransportPolicySchema = z.enum(['all', 'relay']);
export type IceTransportPolicy = z.infer<typeof iceTransportPolicySchema>;

/** One line per issue, `path: message`, for an ack. */
export function describeIssues(error: z.ZodError): string {
  return error.issues
    .slice(0, 3)
    .map((i) => (i.path.length ? `${i.path.join('.')}: ${i.message}` : i.message))
    .join('; ');
}
