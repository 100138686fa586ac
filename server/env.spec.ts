import { describe, expect, it } from 'vitest';
import { EnvError, readServerEnv } from './env.ts';

describe('readServerEnv', () => {
  it('has defaults', () => {
    expect(readServerEnv({})).toEqual({ port: 8470, host: '0.0.0.0', dataDir: './data', iceServers: [], expiryMs: 90_000, heartbeatMs: undefined });
  });
  it('reads every variable', () => {
    const env = readServerEnv({
      PORT: '9000',
      HOST: '127.0.0.1',
      SHOAL_DATA_DIR: '/var/lib/shoal',
      SHOAL_ICE_SERVERS: '[{"urls":["stun:stun.example.org:3478"]},{"urls":"turn:t.example.org","username":"u","credential":"p"}]',
      SHOAL_PEER_EXPIRY_MS: '60000',
      SHOAL_HEARTBEAT_MS: '20000'
    });
    expect(env).toMatchObject({ port: 9000, host: '127.0.0.1', dataDir: '/var/lib/shoal', expiryMs: 60_000, heartbeatMs: 20_000 });
    expect(env.iceServers).toHaveLength(2);
  });
  it.each([
    [{ PORT: 'x' }, /PORT/],
    [{ PORT: '70000' }, /PORT/],
    [{ SHOAL_ICE_SERVERS: 'stun:x' }, /SHOAL_ICE_SERVERS must be JSON/],
    [{ SHOAL_ICE_SERVERS: '[{"url":"stun:x"}]' }, /SHOAL_ICE_SERVERS/],
    [{ SHOAL_PEER_EXPIRY_MS: '-5' }, /SHOAL_PEER_EXPIRY_MS/],
    [{ SHOAL_PEER_EXPIRY_MS: '1000', SHOAL_HEARTBEAT_MS: '1000' }, /SHOAL_HEARTBEAT_MS/]
  ])('refuses %o', (env, message) => {
    expect(() => readServerEnv(env)).toThrow(EnvError);
    expect(() => readServerEnv(env)).toThrow(message);
  });
});
