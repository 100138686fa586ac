/**
 * Test helper: runs the `shoal` CLI (cli/bin.mjs) as a real process with --json, collects its
 * JSON events, and waits for them. LAN discovery in tests stays on loopback: `lanArgs()` gives a
 * 127.255.255.255 broadcast address and a random port, and every process gets
 * SHOAL_LAN_LOOPBACK_ONLY=1 so a mistake fails instead of multicasting on a real interface.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { resolve } from 'node:path';

export const SHOAL_BIN = resolve('cli/bin.mjs');

export interface ShoalEvent {
  event: string;
  [key: string]: any;
}

export interface ShoalProcess {
  child: ChildProcess;
  events: ShoalEvent[];
  stdout(): string;
  stderr(): string;
  /** Resolves with the first event (seen already or later) that matches. */
  waitFor(match: (e: ShoalEvent) => boolean, timeoutMs?: number): Promise<ShoalEvent>;
  /** Resolves when the process exits. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  kill(signal?: NodeJS.Signals): void;
}

export interface SpawnOptions {
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Prefix the command (e.g. ['ip', 'netns', 'exec', 'ns1']). */
  wrapper?: string[];
  json?: boolean;
  /** Set SHOAL_LAN_LOOPBACK_ONLY=1 (default true). */
  loopbackOnly?: boolean;
}

const running = new Set<ChildProcess>();

export function spawnShoal(args: string[], opts: SpawnOptions = {}): ShoalProcess {
  const argv = [...args, ...(opts.json === false ? [] : ['--json'])];
  const [cmd, ...pre] = opts.wrapper?.length ? [...opts.wrapper, process.execPath, SHOAL_BIN] : [process.execPath, SHOAL_BIN];
  const child = spawn(cmd, [...pre, ...argv], {
    cwd: opts.cwd,
    env: { ...process.env, SHOAL_LOG_LEVEL: undefined, ...(opts.loopbackOnly === false ? {} : { SHOAL_LAN_LOOPBACK_ONLY: '1' }), ...opts.env },
    stdio: ['pipe', 'pipe', 'pipe']
  });
  running.add(child);
  const events: ShoalEvent[] = [];
  const waiters = new Set<() => void>();
  let out = '';
  let err = '';
  let partial = '';
  child.stdout!.setEncoding('utf8').on('data', (text: string) => {
    out += text;
    partial += text;
    const lines = partial.split('\n');
    partial = lines.pop()!;
    for (const line of lines) {
      if (!line.trim()) continue;
      try {
        events.push(JSON.parse(line));
      } catch {
        events.push({ event: 'text', text: line });
      }
    }
    for (const w of [...waiters]) w();
  });
  child.stderr!.setEncoding('utf8').on('data', (text: string) => (err += text));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((res) =>
    child.on('exit', (code, signal) => {
      running.delete(child);
      res({ code, signal });
      for (const w of [...waiters]) w();
    })
  );
  let done = false;
  void exited.then(() => (done = true));
  return {
    child,
    events,
    stdout: () => out,
    stderr: () => err,
    exited,
    kill(signal = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    },
    waitFor(match, timeoutMs = 30_000) {
      return new Promise((resolveWait, reject) => {
        const check = () => {
          const found = events.find(match);
          if (found) {
            cleanup();
            resolveWait(found);
          } else if (done) {
            cleanup();
            reject(new Error(`shoal exited (${child.exitCode ?? child.signalCode}) before the event\nstdout:\n${out}\nstderr:\n${err}`));
          }
        };
        const timer = setTimeout(() => {
          cleanup();
          reject(new Error(`no matching event within ${timeoutMs} ms\nstdout:\n${out}\nstderr:\n${err}`));
        }, timeoutMs);
        const cleanup = () => {
          clearTimeout(timer);
          waiters.delete(check);
        };
        waiters.add(check);
        check();
      });
    }
  };
}

/** Runs shoal to completion; resolves with its exit status and events. */
export async function runShoal(args: string[], opts: SpawnOptions = {}): Promise<{ code: number | null; events: ShoalEvent[]; stdout: string; stderr: string }> {
  const p = spawnShoal(args, opts);
  p.child.stdin!.end();
  const { code } = await p.exited;
  return { code, events: p.events, stdout: p.stdout(), stderr: p.stderr() };
}

/** Kills every shoal process still running (for afterEach/afterAll). */
export async function killAllShoal(): Promise<void> {
  const all = [...running];
  for (const c of all) c.kill('SIGKILL');
  await Promise.all(all.map((c) => new Promise((r) => (c.exitCode !== null || c.signalCode !== null ? r(null) : c.once('exit', r)))));
}

/** A UDP port that is free now on 127.0.0.1 (for a test's LAN discovery). */
export async function freeUdpPort(): Promise<number> {
  const s = createSocket('udp4');
  await new Promise<void>((r) => s.bind(0, '127.0.0.1', () => r()));
  const port = s.address().port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

/** LAN options that keep discovery on loopback: broadcast to 127.255.255.255 on `port`, any TCP port. */
export function lanArgs(port: number): string[] {
  return ['--lan-address', '127.255.255.255', '--lan-port', String(port), '--port', '0'];
}
