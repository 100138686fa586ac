import { describe, expect, it } from 'vitest';
import { parseArgv, resolveSettings } from './args.ts';
import { parseConfig } from './config.ts';
import { derivePeerId } from './identity.ts';
import { derivePeerId as trackerDerive } from '../server/node-crypto.ts';
import { bar, formatBytes, formatDuration, parseSize } from './format.ts';
import { checkLoopbackOnly, isMulticast } from './lan-discovery.ts';
import { wireUploadLimiter } from './managed-wire.ts';

describe('formatting and sizes', () => {
  it('formats and parses', () => {
    expect(formatBytes(0)).toBe('0 B');
    expect(formatBytes(1536)).toBe('1.5 KiB');
    expect(formatDuration(75)).toBe('1:15');
    expect(formatDuration(3725)).toBe('1:02:05');
    expect(formatDuration(null)).toBe('--:--');
    expect(bar(1, 4, 8)).toBe('##......');
    expect(parseSize('500K')).toBe(512_000);
    expect(parseSize('2M')).toBe(2 * 1024 * 1024);
    expect(parseSize('1.5MiB/s')).toBe(1.5 * 1024 * 1024);
    expect(parseSize('0')).toBe(0);
    expect(parseSize('fast')).toBeNull();
  });
});

describe('arguments and config', () => {
  it('lets flags override the config file, which overrides defaults', () => {
    const config = parseConfig(JSON.stringify({ tracker: 'http://t.example:8470/x', port: 9000, uploadLimit: '1M', lan: false }), '/etc/shoal/shoal.config.json');
    const s = resolveSettings(parseArgv(['seed', 'a', '--port', '9001']), config, '/etc/shoal/shoal.config.json');
    expect(s).toMatchObject({ command: 'seed', args: ['a'], tracker: 'http://t.example:8470', port: 9001, portExplicit: true, uploadLimit: 1024 * 1024, lan: false });
    const d = resolveSettings(parseArgv(['get', 'x']), null, null);
    expect(d).toMatchObject({ tracker: 'http://localhost:8470', trackerExplicit: false, lan: true, lanAddress: '239.255.70.70', lanPort: 8471, port: 8472, maxPeers: 50, uploadLimit: null, logLevel: 'warn' });
    expect(resolveSettings(parseArgv(['get', 'x', '--no-tracker']), config, null)).toMatchObject({ tracker: null, trackers: [] });
    expect(d.superSeed).toBe(false);
    expect(resolveSettings(parseArgv(['seed', 'a', '--super-seed']), null, null).superSeed).toBe(true);
    // Several processes of one network: tried in turn, the first one names share links.
    expect(resolveSettings(parseArgv(['get', 'x', '--tracker', 'http://a:1, https://b/x,http://a:1']), config, null)).toMatchObject({
      tracker: 'http://a:1',
      trackers: ['http://a:1', 'https://b'],
      trackerExplicit: true
    });
    expect(() => resolveSettings(parseArgv(['get', 'x', '--tracker', 'http://a:1,ftp://b']), null, null)).toThrow(/http\(s\) or ws\(s\)/);
    expect(() => resolveSettings(parseArgv(['get', 'x', '--tracker', ' , ']), null, null)).toThrow(/Give a tracker URL/);
    expect(parseConfig('{"dataDir":"d","output":"/abs"}', '/home/u/shoal.config.json')).toEqual({ dataDir: '/home/u/d', output: '/abs' });
  });

  it('refuses bad values with codes', () => {
    expect(() => parseArgv(['nope'])).toThrow(expect.objectContaining({ code: 'BAD_ARGUMENT' }));
    expect(() => parseArgv(['ls', '--seed'])).toThrow(/does not take --seed/);
    expect(() => parseArgv(['get', '--bogus'])).toThrow(expect.objectContaining({ code: 'BAD_ARGUMENT' }));
    expect(() => resolveSettings(parseArgv(['seed', '--max-peers', '0']), null, null)).toThrow(/max-peers/);
    expect(() => parseConfig('[]', 'c.json')).toThrow(expect.objectContaining({ code: 'BAD_CONFIG' }));
    expect(() => parseConfig('{"port":"80"}', 'c.json')).toThrow(/port/);
    expect(() => parseConfig('{"lanAddress":"x"}', 'c.json')).toThrow(/lanAddress/);
    expect(() => parseConfig('{', 'c.json')).toThrow(/JSON/);
  });
});

describe('identity and discovery guards', () => {
  it('derives the peer id exactly as the tracker does', () => {
    for (const token of ['a'.repeat(32), 'token-with_symbols-0123456789ABCDEF']) expect(derivePeerId(token)).toBe(trackerDerive(token));
  });

  it('tells multicast from broadcast, and keeps tests on loopback', () => {
    expect(isMulticast('239.255.70.70')).toBe(true);
    expect(isMulticast('127.255.255.255')).toBe(false);
    const env = { SHOAL_LAN_LOOPBACK_ONLY: '1' };
    expect(() => checkLoopbackOnly('127.255.255.255', undefined, env)).not.toThrow();
    expect(() => checkLoopbackOnly('239.255.70.70', '127.0.0.1', env)).not.toThrow();
    expect(() => checkLoopbackOnly('239.255.70.70', undefined, env)).toThrow(/LOOPBACK_ONLY/);
    expect(() => checkLoopbackOnly('192.168.1.255', undefined, env)).toThrow(/LOOPBACK_ONLY/);
    expect(() => checkLoopbackOnly('239.255.70.70', undefined, {})).not.toThrow();
  });
});

describe('wireUploadLimiter', () => {
  it('lets a burst through, then paces to the rate', () => {
    let now = 0;
    const b = wireUploadLimiter(1024 * 1024, () => now);
    b.charge(256 * 1024);
    expect(b.delay()).toBe(0);
    b.charge(1024 * 1024);
    expect(b.delay()).toBe(1000);
    now += 500;
    expect(b.delay()).toBe(500);
    now += 500;
    expect(b.delay()).toBe(0);
  });

  it('holds at least one block, whatever the rate', () => {
    let now = 0;
    const b = wireUploadLimiter(1024, () => now);
    b.charge(64 * 1024);
    expect(b.delay()).toBe(0);
    b.charge(1024);
    expect(b.delay()).toBe(1000);
  });
});
