/**
 * The one logger (STYLE.md §10): a namespace per module and levels. Runs in the browser and in
 * Node. The level comes from `opts.level`, else the env variable SHOAL_LOG_LEVEL, else 'info'
 * ('silent' under Vitest unless SHOAL_LOG_LEVEL says otherwise).
 */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent';

export type LogFields = Record<string, unknown>;

export interface LogRecord {
  time: number;
  level: Exclude<LogLevel, 'silent'>;
  namespace: string;
  message: string;
  fields?: LogFields;
}

export interface Logger {
  readonly namespace: string;
  readonly level: LogLevel;
  debug(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
  /** A logger for `<namespace>:<sub>` with the same level and sink. */
  child(sub: string): Logger;
}

export interface LoggerOptions {
  level?: LogLevel;
  /** Where records go; the default writes one line per record to the console. */
  sink?: (record: LogRecord) => void;
}

const RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 };

export function isLogLevel(value: unknown): value is LogLevel {
  return typeof value === 'string' && Object.hasOwn(RANK, value);
}

function envLevel(): LogLevel {
  const env = typeof process !== 'undefined' && process.env ? process.env : {};
  if (isLogLevel(env.SHOAL_LOG_LEVEL)) return env.SHOAL_LOG_LEVEL;
  return env.VITEST ? 'silent' : 'info';
}

function formatFields(fields: LogFields | undefined): string {
  if (!fields) return '';
  let out = '';
  for (const [key, value] of Object.entries(fields)) {
    let text: string;
    if (value instanceof Error) text = JSON.stringify(value.message);
    else if (typeof value === 'string') text = /^[\w.:/@-]*$/.test(value) ? value : JSON.stringify(value);
    else {
      try {
        text = JSON.stringify(value) ?? String(value);
      } catch {
        text = String(value);
      }
    }
    out += ` ${key}=${text}`;
  }
  return out;
}

/** Writes `<ISO time> <LEVEL> [namespace] message key=value ...` through the console. */
export function consoleSink(record: LogRecord): void {
  const line = `${new Date(record.time).toISOString()} ${record.level.toUpperCase()} [${record.namespace}] ${record.message}${formatFields(record.fields)}`;
  if (record.level === 'error') console.error(line);
  else if (record.level === 'warn') console.warn(line);
  else if (record.level === 'info') console.info(line);
  else console.debug(line);
}

export function createLogger(namespace: string, opts: LoggerOptions = {}): Logger {
  const level = opts.level ?? envLevel();
  const sink = opts.sink ?? consoleSink;
  const threshold = RANK[level];
  const emit = (lvl: Exclude<LogLevel, 'silent'>, message: string, fields?: LogFields): void => {
    if (RANK[lvl] < threshold) return;
    sink({ time: Date.now(), level: lvl, namespace, message, fields });
  };
  return {
    namespace,
    level,
    debug: (m, f) => emit('debug', m, f),
    info: (m, f) => emit('info', m, f),
    warn: (m, f) => emit('warn', m, f),
    error: (m, f) => emit('error', m, f),
    child: (sub) => createLogger(`${namespace}:${sub}`, { level, sink })
  };
}

/** A logger that drops everything, for tests. */
export const silentLogger: Logger = createLogger('silent', { level: 'silent' });
