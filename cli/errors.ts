/**
 * Errors of the Node peer, with stable codes (STYLE.md §5); docs/NODE-PEER.md lists them.
 * The CLI prints `error <CODE>: <message>` and exits with the status below.
 */
export type CliErrorCode =
  /** A command-line argument or option is invalid. */
  | 'BAD_ARGUMENT'
  /** The config file cannot be read or holds an invalid value. */
  | 'BAD_CONFIG'
  /** A file to write exists already (use --force). */
  | 'EXISTS'
  /** Nothing to fetch or share was found: an id no tracker, LAN peer or data directory knows, or nothing to seed. */
  | 'NOT_FOUND'
  /** A path on disk does not exist (a file or folder to share, or a folder on the way to a file). */
  | 'NO_SUCH_PATH'
  /** A path is the wrong kind: a file where a folder is needed, a folder where a file is, a special file. */
  | 'BAD_PATH'
  /** The disk is full. */
  | 'DISK_FULL'
  /** The system refused access to a path, or its file system is read-only. */
  | 'PERMISSION'
  /** Another filesystem error. */
  | 'IO'
  /** No tracker and no LAN discovery: nobody to ask. */
  | 'NO_NETWORK'
  /** A download stopped (the message says why). */
  | 'DOWNLOAD_FAILED'
  /** A shared file changed on disk after it was hashed. */
  | 'FILE_CHANGED'
  /** The data directory is in use by a running peer (for commands that change it offline). */
  | 'IN_USE';

export class CliError extends Error {
  readonly code: CliErrorCode;
  /** The path on disk the error is about, if it is about one. */
  readonly path?: string;
  constructor(code: CliErrorCode, message: string, options?: { cause?: unknown; path?: string }) {
    super(message, options);
    this.name = 'CliError';
    this.code = code;
    if (options?.path !== undefined) this.path = options.path;
  }
}

/** Exit statuses: 0 success, 1 a failure at run time, 2 a usage error (as most Unix tools). */
export function exitCodeOf(err: unknown): number {
  if (err instanceof CliError && (err.code === 'BAD_ARGUMENT' || err.code === 'BAD_CONFIG')) return 2;
  return 1;
}

/**
 * The one place that turns a Node filesystem error (an errno code) into a CliError that says
 * plainly what happened and where: `<cause> (<action> <path>).`, with `path` as a field.
 * `action` reads like "writing" or "creating the output folder"; give `path` apart from it.
 */
export function fsError(err: unknown, action: string, path?: string): CliError {
  if (err instanceof CliError) return err;
  const e = err as NodeJS.ErrnoException;
  const where = path === undefined ? `(${action})` : `(${action} ${path})`;
  const make = (code: CliErrorCode, cause: string) => new CliError(code, `${cause} ${where}.`, { cause: err, path: path ?? e?.path });
  switch (e?.code) {
    case 'ENOSPC':
    case 'EDQUOT':
      return make('DISK_FULL', 'The disk is full');
    case 'EACCES':
    case 'EPERM':
      return make('PERMISSION', 'Permission denied');
    case 'EROFS':
      return make('PERMISSION', 'The file system is read-only');
    case 'ENOENT':
      return make('NO_SUCH_PATH', 'No such file or folder');
    case 'ENOTDIR':
      return make('BAD_PATH', 'A part of the path is a file, not a folder');
    case 'EISDIR':
    case 'ERR_FS_EISDIR': // fs.rm of a folder without { recursive }
      return make('BAD_PATH', 'A folder is where a file should be');
    case 'ELOOP':
      return make('BAD_PATH', 'Too many symbolic links, or a link where none may be');
    case 'ENAMETOOLONG':
      return make('BAD_PATH', 'The name is too long for the file system');
    case 'EEXIST':
      return make('EXISTS', 'The file exists already; use --force to overwrite it');
    case 'EFBIG':
      return make('IO', 'The file is too large for this file system');
    case 'EMFILE':
    case 'ENFILE':
      return make('IO', 'Too many open files');
    case 'EIO':
      return make('IO', 'The disk or device failed (EIO)');
    default:
      return make('IO', `${e?.code ?? 'Error'}: ${e?.message ?? String(err)}`);
  }
}

/** A failure as the CLI reports it: a stable code, a message, and the path it is about. */
export interface Failure {
  code: string;
  message: string;
  path?: string;
}

/**
 * Any thrown value as a Failure. A CliError keeps its code; a raw Node filesystem error that
 * slipped through (it has an errno code and a syscall) is mapped by fsError, never shown with its
 * bare errno as the code; other coded errors (tracker, core) keep theirs.
 */
export function failureOf(err: unknown): Failure {
  const e = err as (NodeJS.ErrnoException & { dest?: string }) | undefined;
  const cli = err instanceof CliError ? err : typeof e?.errno === 'number' && typeof e.syscall === 'string' ? fsError(err, e.syscall, e.path) : null;
  if (cli) return cli.path === undefined ? { code: cli.code, message: cli.message } : { code: cli.code, message: cli.message, path: cli.path };
  return { code: typeof e?.code === 'string' ? e.code : 'ERROR', message: e?.message ?? String(err) };
}
