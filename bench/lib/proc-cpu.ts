import { readFileSync } from 'node:fs';

/**
 * CPU time a process has used so far (user + system), in seconds, from Linux's /proc/<pid>/stat;
 * null once it is gone. Differences between two readings give the CPU a process spent on a window.
 */
export function procCpuSeconds(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command (in parentheses, may hold spaces): utime and stime are fields 14
    // and 15 of the line, in clock ticks (USER_HZ, 100 on Linux).
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) / CLOCK_TICKS_PER_SECOND;
  } catch {
    return null;
  }
}

/** USER_HZ: fixed at 100 by the kernel's ABI on every Linux architecture Node runs on. */
const CLOCK_TICKS_PER_SECOND = 100;
