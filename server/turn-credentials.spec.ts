import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createTurnCredentials, turnPassword } from './turn-credentials.ts';

describe('TURN credentials (coturn use-auth-secret)', () => {
  it('gives expiry:peerId and base64(HMAC-SHA1(secret, username))', () => {
    const turn = createTurnCredentials({ urls: ['turn:10.0.0.1:3478'], secret: 'shh', ttlSeconds: 600 });
    const entry = turn('ab'.repeat(16), 1_700_000_000_500);
    expect(entry.username).toBe(`1700000600:${'ab'.repeat(16)}`);
    expect(entry.credential).toBe(createHmac('sha1', 'shh').update(entry.username!).digest('base64'));
    expect(entry.urls).toEqual(['turn:10.0.0.1:3478']);
  });
  it('matches the RFC 2104 test vector', () => {
    // RFC 2202 case 2: HMAC-SHA1("Jefe", "what do ya want for nothing?") = effcdf6ae5eb2fa2d27416d5f184df9c259a7c79
    expect(Buffer.from(turnPassword('Jefe', 'what do ya want for nothing?'), 'base64').toString('hex')).toBe(
      'effcdf6ae5eb2fa2d27416d5f184df9c259a7c79'
    );
  });
  it('refuses bad settings', () => {
    expect(() => createTurnCredentials({ urls: [], secret: 'x', ttlSeconds: 60 })).toThrow(TypeError);
    expect(() => createTurnCredentials({ urls: ['turn:x'], secret: '', ttlSeconds: 60 })).toThrow(TypeError);
    expect(() => createTurnCredentials({ urls: ['turn:x'], secret: 'x', ttlSeconds: 0 })).toThrow(TypeError);
  });
});
