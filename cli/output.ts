import { createLogger, type Logger, type LogLevel, type LogRecord } from '../src/lib/log.ts';
import { failureOf } from './errors.ts';
import { ProgressLine, type ProgressStream } from './progress.ts';

export interface OutputStreams {
  stdout: ProgressStream;
  stderr: ProgressStream;
}

/**
 * Everything the CLI prints. Human mode: results and progress on stdout, logs and errors on
 * stderr. JSON mode (--json): one JSON object per line on stdout for every event and result (each
 * has an "event" field), logs as JSON lines on stderr, no progress bar.
 */
export class Output {
  readonly json: boolean;
  readonly progress: ProgressLine;
  readonly #io: OutputStreams;

  constructor(json: boolean, io: OutputStreams = { stdout: process.stdout, stderr: process.stderr }) {
    this.json = json;
    this.#io = io;
    this.progress = new ProgressLine(io.stdout);
  }

  /** A result or event: JSON in JSON mode, else `human` (if given) as a line. */
  emit(event: string, fields: Record<string, unknown>, human?: string): void {
    if (this.json) this.#io.stdout.write(`${JSON.stringify({ event, ...fields })}\n`);
    else if (human !== undefined) this.progress.print(human);
  }

  /** A line for people only (ignored in JSON mode). */
  say(line: string): void {
    if (!this.json) this.progress.print(line);
  }

  error(code: string, message: string, fields: Record<string, unknown> = {}): void {
    if (this.json) this.#io.stdout.write(`${JSON.stringify({ event: 'error', code, message, ...fields })}\n`);
    else {
      this.progress.clear();
      this.#io.stderr.write(`error ${code}: ${message}\n`);
    }
  }

  /**
   * Reports a thrown error: its code, its message and (with --json) the path it is about. Every
   * command reports failures through this, so a filesystem error always shows its real cause.
   */
  fail(err: unknown, fields: Record<string, unknown> = {}): void {
    const f = failureOf(err);
    this.error(f.code, f.message, f.path === undefined ? fields : { path: f.path, ...fields });
  }

  /** The logger: lines (or JSON lines) on stderr. */
  logger(level: LogLevel, namespace = 'shoal'): Logger {
    const sink = (r: LogRecord) => {
      if (this.json) {
        this.#io.stderr.write(`${JSON.stringify({ time: new Date(r.time).toISOString(), level: r.level, namespace: r.namespace, message: r.message, ...jsonFields(r.fields) })}\n`);
        return;
      }
      this.progress.clear();
      this.#io.stderr.write(`${formatRecord(r)}\n`);
    };
    return createLogger(namespace, { level, sink });
  }
}

function jsonFields(fields: Record<string, unknown> | undefined): Record<string, unknown> {
  if (!fields) return {};
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(fields)) out[k] = v instanceof Error ? v.message : v;
  return out;
}

/** `<time> <LEVEL> [namespace] message key=value ...`, like the shared console sink. */
export function formatRecord(r: LogRecord): string {
  let line = `${new Date(r.time).toISOString()} ${r.level.toUpperCase()} [${r.namespace}] ${r.message}`;
  for (const [key, value] of Object.entries(r.fields ?? {})) {
    const v = value instanceof Error ? value.message : value;
    const text = typeof v === 'string' && /^[\w.:/@-]*$/.test(v) ? v : safeJson(v);
    line += ` ${key}=${text}`;
  }
  return line;
}

function safeJson(v: unknown): string {
  try {
    return JSON.stringify(v) ?? String(v);
  } catch {
    return String(v);
  }
}
