import { describe, expect, it } from 'vitest';
import { EnvError, readServerEnv } from './env.ts';

describe('readServerEnv', () => {
  it('has defaults', () => {
    expect(readServerEnv({})).toEqual({ port: 8470, host: '0.0.0.0', dataDir: './data', iceServers: [], iceTransportPolicy: 'all', expiryMs: 90_000, heartbeatMs: undefined, indexRetentionDays: 30 });
  });
  it('reads every variable', () => {
    const env = readServerEnv({
      PORT: '9000',
      HOST: '127.0.0.1',
      SHOAL_DATA_DIR: '/var/lib/shoal',
      SHOAL_ICE_SERVERS: '[{"urls":["stun:stun.example.org:3478"]},{"urls":"turn:t.example.org","username":"u","credential":"p"}]',
      SHOAL_PEER_EXPIRY_MS: '60000',
      SHOAL_HEARTBEAT_MS: '20000',
      SHOAL_INDEX_RETENTION_DAYS: '90'
    });
    expect(env).toMatchObject({ port: 9000, host: '127.0.0.1', dataDir: '/var/lib/shoal', expiryMs: 60_000, heartbeatMs: 20_000, indexRetentionDays: 90 });
    expect(env.iceServers).toHaveLength(2);
  });
  it('reads the TURN secret scheme and the transport policy', () => {
    const env = readServerEnv({
      SHOAL_TURN_URLS: 'turn:turn.example.org:3478?transport=udp, turns:turn.example.org:5349',
      SHOAL_TURN_SECRET: 's3cret',
      SHOAL_TURN_TTL_S: '3600',
      SHOAL_ICE_TRANSPORT_POLICY: 'relay'
    });
    expect(env.turn).toEqual({ urls: ['turn:turn.example.org:3478?transport=udp', 'turns:turn.example.org:5349'], secret: 's3cret', ttlSeconds: 3600 });
    expect(env.iceTransportPolicy).toBe('relay');
    expect(readServerEnv({ SHOAL_TURN_URLS: 'turn:t', SHOAL_TURN_SECRET: 'x' }).turn?.ttlSeconds).toBe(86_400);
  });
  it.each([
    [{ PORT: 'x' }, /PORT/],
    [{ PORT: '70000' }, /PORT/],
    [{ SHOAL_ICE_SERVERS: 'stun:x' }, /SHOAL_ICE_SERVERS must be JSON/],
    [{ SHOAL_ICE_SERVERS: '[{"url":"stun:x"}]' }, /SHOAL_ICE_SERVERS/],
    [{ SHOAL_PEER_EXPIRY_MS: '-5' }, /SHOAL_PEER_EXPIRY_MS/],
    [{ SHOAL_PEER_EXPIRY_MS: '1000', SHOAL_HEARTBEAT_MS: '1000' }, /SHOAL_HEARTBEAT_MS/],
    [{ SHOAL_TURN_URLS: 'turn:t' }, /SHOAL_TURN_SECRET/],
    [{ SHOAL_TURN_SECRET: 'x' }, /SHOAL_TURN_URLS/],
    [{ SHOAL_TURN_URLS: 'stun:t', SHOAL_TURN_SECRET: 'x' }, /SHOAL_TURN_URLS/],
    [{ SHOAL_TURN_URLS: 'turn:t', SHOAL_TURN_SECRET: 'x', SHOAL_TURN_TTL_S: '5' }, /SHOAL_TURN_TTL_S/],
    [{ SHOAL_ICE_TRANSPORT_POLICY: 'none' }, /SHOAL_ICE_TRANSPORT_POLICY/],
    [{ SHOAL_ICE_TRANSPORT_POLICY: 'relay' }, /needs a TURN server/],
    [{ REDIS_URL: 'http://127.0.0.1:6379' }, /REDIS_URL must start with redis:\/\//],
    [{ REDIS_URL: 'not a url' }, /REDIS_URL must be a URL/],
    [{ SHOAL_REDIS_PREFIX: 'net1:' }, /SHOAL_REDIS_PREFIX is set but REDIS_URL is not/],
    [{ REDIS_URL: 'redis://h:1', SHOAL_REDIS_PREFIX: 'bad prefix' }, /SHOAL_REDIS_PREFIX/],
    [{ REDIS_URL: 'redis://h:1', SHOAL_REDIS_CONNECT_TIMEOUT_MS: '5' }, /SHOAL_REDIS_CONNECT_TIMEOUT_MS/],
    [{ SHOAL_PUBLIC_URL: 'http://a:1' }, /SHOAL_PUBLIC_URL is set but REDIS_URL is not/],
    [{ REDIS_URL: 'redis://h:1', SHOAL_PUBLIC_URL: 'ftp://a' }, /SHOAL_PUBLIC_URL must start with http/],
    [{ REDIS_URL: 'redis://h:1', SHOAL_PUBLIC_URL: 'not a url' }, /SHOAL_PUBLIC_URL must be a URL/],
    [{ DATABASE_URL: 'mysql://h/shoal' }, /DATABASE_URL must start with postgres:\/\/ or postgresql:\/\//],
    [{ DATABASE_URL: 'postgres://h:5432' }, /DATABASE_URL must name a database/],
    [{ DATABASE_URL: 'postgres://h/shoal', SHOAL_DATABASE_CONNECT_TIMEOUT_MS: '5' }, /SHOAL_DATABASE_CONNECT_TIMEOUT_MS/],
    [{ SHOAL_INDEX_RETENTION_DAYS: '0' }, /SHOAL_INDEX_RETENTION_DAYS must be between 1 and 36500/],
    [{ SHOAL_INDEX_RETENTION_DAYS: '7.5' }, /SHOAL_INDEX_RETENTION_DAYS must be a whole number/],
    [{ SHOAL_DATABASE_CONNECT_TIMEOUT_MS: '5000' }, /SHOAL_DATABASE_CONNECT_TIMEOUT_MS is set but DATABASE_URL is not/],
    [{ DATABASE_URL: 'postgres://h/shoal', SHOAL_PUBLIC_URL: 'http://a:1' }, /SHOAL_PUBLIC_URL is set but REDIS_URL is not/]
  ])('refuses %o', (env, message) => {
    expect(() => readServerEnv(env)).toThrow(EnvError);
    expect(() => readServerEnv(env)).toThrow(message);
  });
});

describe('readServerEnv: Redis', () => {
  it('is off without REDIS_URL, and reads URL, prefix and timeout with it', () => {
    expect(readServerEnv({}).redis).toBeUndefined();
    expect(readServerEnv({ REDIS_URL: 'rediss://:pw@redis.example.org:6380/2' }).redis).toEqual({
      url: 'rediss://:pw@redis.example.org:6380/2',
      prefix: 'shoal:',
      connectTimeoutMs: 10_000
    });
    expect(readServerEnv({ REDIS_URL: 'redis://h:1', SHOAL_REDIS_PREFIX: 'net-2:', SHOAL_REDIS_CONNECT_TIMEOUT_MS: '2500' }).redis).toEqual({
      url: 'redis://h:1',
      prefix: 'net-2:',
      connectTimeoutMs: 2500
    });
    expect(readServerEnv({ REDIS_URL: 'redis://h:1', SHOAL_PUBLIC_URL: 'https://t2.example.org/ignored/path' }).publicUrl).toBe('https://t2.example.org');
  });
});

describe('readServerEnv: PostgreSQL', () => {
  it('is off without DATABASE_URL, and reads URL and timeout with it, alone or beside REDIS_URL', () => {
    expect(readServerEnv({}).database).toBeUndefined();
    expect(readServerEnv({ DATABASE_URL: 'postgres://shoal:pw@db.example.org/shoal?sslmode=require' }).database).toEqual({
      url: 'postgres://shoal:pw@db.example.org/shoal?sslmode=require',
      connectTimeoutMs: 10_000
    });
    const both = readServerEnv({ DATABASE_URL: 'postgresql://db/shoal', SHOAL_DATABASE_CONNECT_TIMEOUT_MS: '2500', REDIS_URL: 'redis://h:1' });
    expect(both.database).toEqual({ url: 'postgresql://db/shoal', connectTimeoutMs: 2500 });
    expect(both.redis?.url).toBe('redis://h:1');
  });
});
