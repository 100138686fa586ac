import { readdirSync, readFileSync } from 'node:fs';

/**
 * Process memory from Linux's /proc: current and peak resident set size (VmRSS, VmHWM). Used for
 * the `shoal get` peak RSS and for Chromium's renderer processes.
 */
export interface ProcMemory {
  rss: number;
  /** Peak RSS over the life of the process (the kernel's high-water mark). */
  peakRss: number;
}

export function procMemory(pid: number): ProcMemory | null {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? 'NaN') * 1024;
    return { rss: kb('VmRSS'), peakRss: kb('VmHWM') };
  } catch {
    return null;
  }
}

/** Children of a process, from /proc (one level). */
export function childPids(pid: number): number[] {
  const out: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      // Field 4 is the parent pid; the command (field 2) is in parentheses and may hold spaces.
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === pid) out.push(Number(name));
    } catch {
      // gone
    }
  }
  return out;
}

/** Every descendant of a process. */
export function descendantPids(pid: number): number[] {
  const out: number[] = [];
  const queue = [pid];
  while (queue.length > 0) {
    for (const c of childPids(queue.shift()!)) {
      out.push(c);
      queue.push(c);
    }
  }
  return out;
}

export function cmdline(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
  } catch {
    return '';
  }
}

/**
 * Samples a process's RSS every `intervalMs` until stopped; reports the peak seen and the
 * kernel's own high-water mark (which also catches peaks between samples).
 */
export class RssSampler {
  readonly #pid: number;
  readonly #timer: ReturnType<typeof setInterval>;
  peakRss = 0;
  peakHwm = 0;
  samples: { t: number; rss: number }[] = [];

  constructor(pid: number, intervalMs = 100) {
    this.#pid = pid;
    const t0 = Date.now();
    this.#timer = setInterval(() => {
      const m = procMemory(this.#pid);
      if (!m) return;
      this.peakRss = Math.max(this.peakRss, m.rss);
      this.peakHwm = Math.max(this.peakHwm, m.peakRss);
      if (this.samples.length < 20_000) this.samples.push({ t: Date.now() - t0, rss: m.rss });
    }, intervalMs);
  }

  stop(): { peakRss: number; peakHwm: number } {
    clearInterval(this.#timer);
    const m = procMemory(this.#pid);
    if (m) {
      this.peakRss = Math.max(this.peakRss, m.rss);
      this.peakHwm = Math.max(this.peakHwm, m.peakRss);
    }
    return { peakRss: this.peakRss, peakHwm: this.peakHwm };
  }
}
