/**
 * Short-lived TURN credentials, the "TURN REST API" scheme coturn implements with
 * `use-auth-secret` + `static-auth-secret` (draft-uberti-behave-turn-rest-00): the username is
 * `<expiry unix time>:<peer id>` and the password is base64(HMAC-SHA1(secret, username)). The
 * TURN server recomputes the password from the shared secret and refuses an expired username,
 * so the page only ever holds a credential that stops working after `ttlSeconds`.
 */
import { createHmac } from 'node:crypto';
import type { IceServer } from '../src/lib/tracker/schemas.ts';

export interface TurnCredentialOptions {
  /** TURN URLs, e.g. ['turn:turn.example.org:3478?transport=udp', 'turns:turn.example.org:5349']. */
  urls: string[];
  /** The secret shared with the TURN server (coturn `static-auth-secret`). */
  secret: string;
  /** How long a credential is valid, seconds. */
  ttlSeconds: number;
}

/** The password coturn expects for `username` under `secret`. */
export function turnPassword(secret: string, username: string): string {
  return createHmac('sha1', secret).update(username).digest('base64');
}

/** Returns a function giving a peer its TURN server entry, valid `ttlSeconds` from `now` (ms). */
export function createTurnCredentials(opts: TurnCredentialOptions): (peerId: string, now: number) => IceServer {
  if (opts.urls.length === 0) throw new TypeError('TURN urls must not be empty.');
  if (opts.secret === '') throw new TypeError('The TURN secret must not be empty.');
  if (!Number.isSafeInteger(opts.ttlSeconds) || opts.ttlSeconds < 1) throw new TypeError('The TURN ttl must be a positive whole number of seconds.');
  const urls = [...opts.urls];
  return (peerId, now) => {
    const username = `${Math.floor(now / 1000) + opts.ttlSeconds}:${peerId}`;
    return { urls: [...urls], username, credential: turnPassword(opts.secret, username) };
  };
}
