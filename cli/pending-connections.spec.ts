import { describe, expect, it } from 'vitest';
import { addressKey, PendingConnections } from './pending-connections.ts';

describe('pending connection limits', () => {
  it('closes the oldest of an address over its limit, and nobody else', () => {
    const pending = new PendingConnections({ perAddress: 3, total: 100, graceMs: 0 });
    const dropped: string[] = [];
    const add = (key: string, name: string) => pending.add(key, (reason) => dropped.push(`${name} ${reason.split(':')[0]}`));
    add('10.0.0.9', 'honest');
    for (let i = 0; i < 3; i++) add('10.0.0.2', `silent${i}`);
    expect(dropped).toEqual([]);
    add('10.0.0.2', 'silent3');
    add('10.0.0.2', 'silent4');
    expect(dropped).toEqual(['silent0 TOO_MANY_PENDING', 'silent1 TOO_MANY_PENDING']);
    expect(pending.countOf('10.0.0.2')).toBe(3);
    expect(pending.countOf('10.0.0.9')).toBe(1);
    expect(pending.size).toBe(4);
  });

  it('at the total limit, closes the oldest of the address holding the most', () => {
    const pending = new PendingConnections({ perAddress: 10, total: 5, graceMs: 0 });
    const dropped: string[] = [];
    const add = (key: string, name: string) => pending.add(key, () => dropped.push(name));
    add('a', 'a0');
    add('b', 'b0');
    add('b', 'b1');
    add('b', 'b2');
    add('a', 'a1');
    add('c', 'c0');
    expect(dropped).toEqual(['b0']);
    expect(pending.size).toBe(5);
  });

  it('over the per-address limit, closes only connections older than the grace period', () => {
    let t = 0;
    const pending = new PendingConnections({ perAddress: 2, total: 6, graceMs: 1000, now: () => t });
    const dropped: string[] = [];
    const add = (name: string) => pending.add('a', () => dropped.push(name));
    add('a0');
    add('a1');
    t = 999;
    add('a2'); // a burst from one host: a0 may still be about to speak
    expect(dropped).toEqual([]);
    t = 1000;
    add('a3');
    expect(dropped).toEqual(['a0']);
    // The total limit bounds the burst whatever the age.
    add('a4');
    add('a5');
    add('a6');
    add('a7');
    expect(dropped).toEqual(['a0', 'a1']);
    expect(pending.size).toBe(6);
  });

  it('frees room when a connection is released, once however often it is called', () => {
    const pending = new PendingConnections({ perAddress: 1, total: 10, graceMs: 0 });
    const dropped: string[] = [];
    const release = pending.add('a', () => dropped.push('first'));
    release();
    release();
    expect(pending.size).toBe(0);
    pending.add('a', () => dropped.push('second'));
    expect(dropped).toEqual([]);
    expect(pending.size).toBe(1);
  });

  it('limits IPv4 by address, IPv4-mapped IPv6 as IPv4, and IPv6 by /64', () => {
    expect(addressKey('127.0.0.2')).toBe('127.0.0.2');
    expect(addressKey('::ffff:127.0.0.2')).toBe('127.0.0.2');
    expect(addressKey('2001:db8:1:2:aaaa::1')).toBe('2001:db8:1:2::/64');
    expect(addressKey('2001:db8:1:2:bbbb:cccc:dddd:eeee')).toBe('2001:db8:1:2::/64');
    expect(addressKey('2001:db8::1')).toBe('2001:db8:0:0::/64');
    expect(addressKey('fe80::1%eth0')).toBe('fe80:0:0:0::/64');
    expect(addressKey('::1')).toBe('0:0:0:0::/64');
    expect(addressKey(undefined)).toBe('unknown');
  });
});
