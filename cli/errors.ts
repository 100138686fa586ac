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
  /** A file or id to share or fetch was not found. */
  | 'NOT_FOUND'
  /** The disk is full. */
  | 'DISK_FULL'
  /** The system refused access to a path. */
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
  constructor(code: CliErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'CliError';
    this.code = code;
  }
}

/** Exit statuses: 0 success, 1 a failure at run time, 2 a usage error (as most Unix tools). */
export function exitCodeOf(err: unknown): number {
  if (err instanceof CliError && (err.code === 'BAD_ARGUMENT' || err.code === 'BAD_CONFIG')) return 2;
  return 1;
}

/**
 * Turns a Node filesystem error into a CliError that says plainly what happened and where.
 * `action` reads like "writing /x/y.shoal-partial".
 */
export function fsError(err: unknown, action: string): CliError {
  if (err instanceof CliError) return err;
  const e = err as NodeJS.ErrnoException;
  switch (e?.code) {
    case 'ENOSPC':
    case 'EDQUOT':
      return new CliError('DISK_FULL', `The disk is full (${action}).`, { cause: err });
    case 'EACCES':
    case 'EPERM':
      return new CliError('PERMISSION', `Permission denied (${action}).`, { cause: err });
    case 'EROFS':
      return new CliError('PERMISSION', `The file system is read-only (${action}).`, { cause: err });
    case 'ENOENT':
      return new CliError('NOT_FOUND', `No such file or directory (${action}).`, { cause: err });
    case 'EEXIST':
      return new CliError('EXISTS', `The file exists already (${action}); use --force to overwrite it.`, { cause: err });
    default:
      return new CliError('IO', `${e?.code ?? 'Error'}: ${e?.message ?? String(err)} (${action}).`, { cause: err });
  }
}
