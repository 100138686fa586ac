/**
 * Runs the real `shoal` command (cli/bin.mjs) as a child process with --json and collects its
 * events, each stamped with the time it arrived. The child is `node cli/bin.mjs` itself (no npx
 * or shell in between), so its pid is the peer's and its RSS is the peer's.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { nowMs } from './stats.ts';

export const SHOAL_BIN = join(import.meta.dirname, '..', '..', 'cli', 'bin.mjs');

/** Why the CLI cannot be used, or null if it can. */
export function cliUnavailable(): string | null {
  return existsSync(SHOAL_BIN) ? null : 'the shoal CLI (cli/bin.mjs) is not there yet';
}

export interface CliEvent {
  /** nowMs() when the line arrived. */
  t: number;
  event: string;
  [key: string]: unknown;
}

export class ShoalProcess {
  readonly child: ChildProcess;
  readonly events: CliEvent[] = [];
  readonly stderr: string[] = [];
  readonly startedAt = nowMs();
  readonly exited: Promise<number | null>;
  #waiters: { pred: (e: CliEvent) => boolean; resolve: (e: CliEvent) => void }[] = [];

  constructor(args: string[], opts: { cwd?: string; label?: string } = {}) {
    this.child = spawn(process.execPath, [SHOAL_BIN, ...args, '--json'], { cwd: opts.cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    createInterface({ input: this.child.stdout! }).on('line', (line) => {
      let e: CliEvent;
      try {
        e = { ...JSON.parse(line), t: nowMs() };
      } catch {
        return;
      }
      this.events.push(e);
      for (const w of [...this.#waiters]) {
        if (w.pred(e)) {
          this.#waiters.splice(this.#waiters.indexOf(w), 1);
          w.resolve(e);
        }
      }
    });
    createInterface({ input: this.child.stderr! }).on('line', (line) => {
      if (this.stderr.length < 200) this.stderr.push(line);
    });
    this.exited = new Promise((resolve) => this.child.on('exit', (code) => resolve(code)));
  }

  get pid(): number {
    return this.child.pid!;
  }

  /** The first event (already seen or to come) matching `pred`; rejects on exit or after `timeoutMs`. */
  waitFor(pred: (e: CliEvent) => boolean, timeoutMs: number, what: string): Promise<CliEvent> {
    const seen = this.events.find(pred);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => fail(`${what}: not within ${Math.round(timeoutMs / 1000)} s`), timeoutMs);
      const fail = (why: string) => {
        this.#waiters = this.#waiters.filter((w) => w.resolve !== done);
        reject(new Error(`${why}; stderr: ${this.stderr.slice(-5).join(' | ')}; last events: ${JSON.stringify(this.events.slice(-2))}`));
      };
      const done = (e: CliEvent) => {
        clearTimeout(timer);
        resolve(e);
      };
      this.#waiters.push({ pred, resolve: done });
      void this.exited.then((code) => {
        clearTimeout(timer);
        if (this.#waiters.some((w) => w.resolve === done)) fail(`${what}: shoal exited with ${code}`);
      });
    });
  }

  /** Ctrl-C, then SIGKILL if it has not exited after `graceMs`. */
  async stop(graceMs = 5000): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    this.child.kill('SIGINT');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
    await this.exited;
    clearTimeout(timer);
  }

  kill(): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
  }
}

/** Options that keep a peer on loopback only: LAN discovery by broadcast on 127.255.255.255, no tracker. */
export function loopbackLan(lanPort: number): string[] {
  return ['--no-tracker', '--lan-address', '127.255.255.255', '--lan-port', String(lanPort), '--port', '0', '--log-level', 'warn'];
}

/** A UDP port for one experiment's LAN discovery, away from the default 8471. */
export function randomLanPort(): number {
  return 20_000 + Math.floor(Math.random() * 20_000);
}
