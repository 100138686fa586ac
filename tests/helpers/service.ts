/**
 * Test helper under the others that run a program for a test (redis-server, turnserver, a tracker
 * process): start it with its output captured, wait until a line says it is ready, stop it by its
 * PID and remove the temporary directory it was given.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { rm } from 'node:fs/promises';

export interface Service {
  readonly child: ChildProcess;
  readonly pid: number;
  /** Resolves with the exit code (null when a signal ended it). */
  readonly exited: Promise<number | null>;
  /** Everything it printed so far. */
  log(): string;
  /** Sends a signal (default SIGKILL, a crash) and waits for the exit. */
  kill(signal?: NodeJS.Signals): Promise<void>;
  /** Ends it (its stop signal, SIGKILL after 3 s) and removes its directory. */
  stop(): Promise<void>;
}

export interface ServiceOptions {
  /** For messages, e.g. 'redis-server'. */
  name: string;
  command: string;
  args: string[];
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** A temporary directory of its own, removed by stop(). */
  dir: string;
  /** Output that means it is ready. */
  ready: RegExp;
  timeoutMs?: number;
  /** How stop() ends it (default SIGTERM). */
  stopSignal?: NodeJS.Signals;
}

export async function startService(opts: ServiceOptions): Promise<Service> {
  const child = spawn(opts.command, opts.args, { cwd: opts.cwd, env: opts.env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (b: Buffer) => (output += b.toString()));
  child.stderr!.on('data', (b: Buffer) => (output += b.toString()));
  let failed = false; // e.g. the program is not installed: 'error' instead of a start
  const exited = new Promise<number | null>((resolve) => {
    child.once('exit', (code) => resolve(code));
    child.once('error', (err) => {
      failed = true;
      output += `\n${err.message}`;
      resolve(null);
    });
  });
  const running = () => !failed && child.exitCode === null && child.signalCode === null;
  const kill = async (signal: NodeJS.Signals = 'SIGKILL'): Promise<void> => {
    if (running()) child.kill(signal);
    await exited;
  };
  const stop = async (): Promise<void> => {
    if (running()) {
      const timer = setTimeout(() => child.kill('SIGKILL'), 3_000);
      await kill(opts.stopSignal ?? 'SIGTERM');
      clearTimeout(timer);
    }
    await rm(opts.dir, { recursive: true, force: true });
  };
  // Ready when a line of its output says so; not if it exits (or cannot start) or the time is up.
  let deadline: ReturnType<typeof setTimeout> | undefined;
  const ready = await new Promise<boolean>((resolve) => {
    const check = () => {
      if (opts.ready.test(output)) resolve(true);
    };
    child.stdout!.on('data', check);
    child.stderr!.on('data', check);
    void exited.then(() => resolve(false));
    deadline = setTimeout(() => resolve(false), opts.timeoutMs ?? 10_000);
  });
  clearTimeout(deadline);
  if (failed || !ready) {
    await stop();
    throw new Error(`${opts.name} did not start (exit ${child.exitCode}):\n${output.slice(-4_000)}`);
  }
  return { child, pid: child.pid!, exited, log: () => output, kill, stop };
}
