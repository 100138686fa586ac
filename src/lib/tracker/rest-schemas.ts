/** Schemas of the REST API's query parameters (strings in, typed values out). */
import { z } from 'zod';
import {
  DEFAULT_HISTORY_MINUTES,
  DEFAULT_PEERS_LIMIT,
  MAX_HISTORY_MINUTES,
  DEFAULT_SEARCH_LIMIT,
  MAX_PEERS_LIMIT,
  MAX_QUERY_LENGTH,
  MAX_SEARCH_CANDIDATES,
  MAX_SEARCH_LIMIT
} from './constants.ts';

/** A decimal integer parameter within [min, max]. */
function intParam(min: number, max: number, fallback: number) {
  return z
    .string()
    .regex(/^\d{1,9}$/, 'must be a whole number')
    .transform(Number)
    .pipe(z.number().min(min).max(max))
    .default(fallback);
}

export const filesQuerySchema = z.object({
  q: z.string().max(MAX_QUERY_LENGTH).default(''),
  limit: intParam(1, MAX_SEARCH_LIMIT, DEFAULT_SEARCH_LIMIT),
  offset: intParam(0, MAX_SEARCH_CANDIDATES, 0)
});

export const peersQuerySchema = z.object({
  limit: intParam(1, MAX_PEERS_LIMIT, DEFAULT_PEERS_LIMIT),
  offset: intParam(0, Number.MAX_SAFE_INTEGER, 0)
});

export const historyQuerySchema = z.object({
  minutes: intParam(1, MAX_HISTORY_MINUTES, DEFAULT_HISTORY_MINUTES)
});
