/** scripts/balancer.ts, the small TCP balancer the README's several-process demo and the e2e test use. */
import { connect, createServer, type Server } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { startBalancer, type Balancer } from '../../scripts/balancer.ts';

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of closers.splice(0).reverse()) await c();
});

/** A backend that answers every connection with its name and closes. */
async function backend(name: string): Promise<{ port: number; server: Server }> {
  const server = createServer((s) => s.end(name));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  closers.push(() => new Promise((resolve) => server.close(() => resolve())));
  return { port: (server.address() as { port: number }).port, server };
}

function ask(b: Balancer): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = connect({ host: '127.0.0.1', port: b.port });
    let text = '';
    s.on('data', (d) => (text += d.toString()));
    s.on('close', () => resolve(text));
    s.on('error', reject);
  });
}

describe('balancer', () => {
  it('spreads connections round-robin and skips a backend that is gone', async () => {
    const a = await backend('a');
    const b = await backend('b');
    const balancer = await startBalancer({ backends: [a.port, b.port], mode: 'round-robin' });
    closers.push(() => balancer.close());
    const answers = [];
    for (let i = 0; i < 4; i++) answers.push(await ask(balancer));
    expect(answers.sort()).toEqual(['a', 'a', 'b', 'b']);
    await new Promise<void>((resolve) => a.server.close(() => resolve()));
    for (let i = 0; i < 3; i++) expect(await ask(balancer)).toBe('b');
  });

  it('in order mode uses the first backend that answers', async () => {
    const a = await backend('a');
    const b = await backend('b');
    const balancer = await startBalancer({ backends: [b.port, a.port], mode: 'ordered' });
    closers.push(() => balancer.close());
    expect([await ask(balancer), await ask(balancer)]).toEqual(['b', 'b']);
    await new Promise<void>((resolve) => b.server.close(() => resolve()));
    expect(await ask(balancer)).toBe('a');
  });
});
