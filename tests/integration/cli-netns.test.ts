/**
 * Two "machines" on one LAN, made by this test: two network namespaces joined by a veth pair
 * (10.213.x.1 and .2, nothing else in them). Each runs `shoal` with the default discovery
 * settings: multicast to 239.255.70.70:8471 and TCP port 8472. Nothing can leave the machine;
 * the namespaces are deleted afterwards. Needs root (CI runs as root) and iproute2.
 */
import { spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { killAllShoal, runShoal, spawnShoal } from '../helpers/shoal.ts';

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
const tag = randomBytes(3).toString('hex');
const NS_A = `shoal-test-${tag}-a`;
const NS_B = `shoal-test-${tag}-b`;
const SUBNET = `10.213.${randomBytes(1)[0]}`;

function ip(...args: string[]): void {
  const r = spawnSync('ip', args, { encoding: 'utf8' });
  if (r.error || r.status !== 0) {
    throw new Error(`\`ip ${args.join(' ')}\` failed: ${r.error?.message ?? r.stderr.trim()} (this test makes its own network namespaces: it needs root and iproute2)`);
  }
}

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'shoal-cli-netns-'));
  await chmod(dir, 0o755);
  ip('netns', 'add', NS_A);
  ip('netns', 'add', NS_B);
  ip('link', 'add', `sh${tag}a`, 'type', 'veth', 'peer', 'name', `sh${tag}b`);
  for (const [ns, dev, host] of [[NS_A, `sh${tag}a`, 1], [NS_B, `sh${tag}b`, 2]] as const) {
    ip('link', 'set', dev, 'netns', ns);
    ip('-n', ns, 'link', 'set', 'lo', 'up');
    ip('-n', ns, 'addr', 'add', `${SUBNET}.${host}/24`, 'dev', dev);
    ip('-n', ns, 'link', 'set', dev, 'up');
    // Multicast leaves through the LAN interface (no default route in a test host).
    ip('-n', ns, 'route', 'add', '224.0.0.0/4', 'dev', dev);
  }
});

afterAll(async () => {
  await killAllShoal();
  for (const ns of [NS_A, NS_B]) spawnSync('ip', ['netns', 'del', ns]);
  await rm(dir, { recursive: true, force: true });
});

describe('two hosts on a LAN, default multicast discovery', () => {
  it('host B downloads from host A with no tracker, finding it by multicast', async () => {
    const bytes = randomBytes(3 * 1024 * 1024 + 1);
    await writeFile(join(dir, 'lan.bin'), bytes);
    const inA = { wrapper: ['ip', 'netns', 'exec', NS_A], loopbackOnly: false };
    const inB = { wrapper: ['ip', 'netns', 'exec', NS_B], loopbackOnly: false };
    const seeder = spawnShoal(['seed', join(dir, 'lan.bin'), '--no-tracker', '--data-dir', join(dir, 'a')], inA);
    const ready = await seeder.waitFor((e) => e.event === 'ready');
    expect(ready).toMatchObject({ tcpPort: 8472, lan: '239.255.70.70:8471' });
    const { id } = await seeder.waitFor((e) => e.event === 'shared');
    await seeder.waitFor((e) => e.event === 'seeding');

    const who = await runShoal(['whohas', id, '--no-tracker'], inB);
    const peer = who.events.find((e) => e.event === 'peer');
    expect(peer, who.stdout + who.stderr).toMatchObject({ peerId: ready.peerId, via: 'lan', address: `${SUBNET}.1:8472` });

    const out = join(dir, 'out');
    await mkdir(out);
    const res = await runShoal(['get', id, '-o', out, '--no-tracker', '--data-dir', join(dir, 'b')], inB);
    expect(res.code, res.stdout + res.stderr).toBe(0);
    expect(sha(await readFile(join(out, 'lan.bin')))).toBe(sha(bytes));
    seeder.kill('SIGTERM');
    expect((await seeder.exited).code).toBe(0);
  }, 60_000);
});
